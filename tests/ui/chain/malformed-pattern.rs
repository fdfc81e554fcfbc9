use kiln::prelude::*;

#[handler]
fn files() -> &'static str {
    "files"
}

chain! {
    struct App;
    routes { GET "/files/{*rest}/meta" => files }
}

fn main() {}
