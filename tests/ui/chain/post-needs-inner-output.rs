use kiln::prelude::*;

struct User(u32);

#[middleware(priority = 1, post_route)]
fn tag_user(_res: &mut Response, _user: &User) {}

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
    middleware { tag_user, authenticate }
    routes { GET "/" => hello }
}

fn main() {}
