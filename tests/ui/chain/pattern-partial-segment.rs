use kiln::prelude::*;

#[handler]
fn file() -> &'static str {
    "file"
}

chain! {
    struct App;
    routes { GET "/files/v{version}" => file }
}

fn main() {}
