use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    handlers { hello }
    routes { GET "/" => hello }
}

fn main() {}
