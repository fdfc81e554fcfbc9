use kiln::prelude::*;

#[handler]
fn user() -> &'static str {
    "user"
}

chain! {
    struct App;
    routes { GET "/users/{id}" => user }
}

fn main() {}
