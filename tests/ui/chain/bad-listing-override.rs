use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
fn gate() {}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    middleware { gate(order = 2) }
    routes { GET "/" => hello }
}

fn main() {}
