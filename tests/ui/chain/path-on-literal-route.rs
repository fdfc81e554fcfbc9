use kiln::prelude::*;

#[handler]
fn user(Path(id): Path<u32>) -> String {
    id.to_string()
}

chain! {
    struct App;
    routes { GET "/users/me" => user }
}

fn main() {
    let _ = App::new();
}
