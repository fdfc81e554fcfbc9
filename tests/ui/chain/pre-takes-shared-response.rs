use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
fn peek(_r: &Response) {}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    middleware { peek }
    routes { GET "/" => hello }
}

fn main() {}
