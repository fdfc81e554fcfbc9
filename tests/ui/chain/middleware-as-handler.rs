use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
fn gate(_req: &Request) {}

chain! {
    struct App;
    routes { GET "/" => gate }
}

fn main() {}
