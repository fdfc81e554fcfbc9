use kiln::prelude::*;

struct Tx;

#[provider]
fn begin() -> Tx {
    Tx
}

#[handler]
fn create(tx: &mut Tx) -> StatusCode {
    let _ = tx;
    StatusCode::CREATED
}

chain! {
    struct App;
    routes { POST "/things" => create }
}

fn main() {
    let _ = begin;
    let _ = App::new();
}
