use kiln::prelude::*;

#[provider]
fn nothing() {}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    request { nothing }
    routes { GET "/" => hello }
}

fn main() {}
