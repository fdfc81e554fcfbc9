use kiln::prelude::*;

#[handler]
fn files() -> &'static str {
    "file"
}

chain! {
    struct App;
    routes { GET "/files/v{version}" => files }
}

fn main() {}
