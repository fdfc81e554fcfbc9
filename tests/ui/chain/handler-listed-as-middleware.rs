use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    middleware { hello }
    routes { GET "/" => hello }
}

fn main() {}
