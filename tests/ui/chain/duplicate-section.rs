use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    routes { GET "/" => hello }
    routes { GET "/again" => hello }
}

fn main() {
    let _ = App::new();
}
