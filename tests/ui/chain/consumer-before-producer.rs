use kiln::prelude::*;

struct User(u32);

#[middleware(priority = 1, pre_route)]
fn audit(_user: &User) {}

#[middleware(priority = 5, pre_route)]
fn authenticate(_req: &Request) -> User {
    User(1)
}

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    middleware { audit, authenticate }
    routes { GET "/" => hello }
}

fn main() {}
