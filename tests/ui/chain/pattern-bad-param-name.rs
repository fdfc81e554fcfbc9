use kiln::prelude::*;

#[handler]
fn item() -> &'static str {
    "item"
}

chain! {
    struct App;
    routes { GET "/items/{item-id}" => item }
}

fn main() {}
