use kiln::prelude::*;

struct User(u32);

#[middleware(priority = 1, pre_route)]
fn from_header(_req: &Request) -> User {
    User(1)
}

#[middleware(priority = 2, pre_route)]
fn from_cookie(_req: &Request) -> User {
    User(2)
}

#[handler]
fn hello(user: &User) -> String {
    user.0.to_string()
}

chain! {
    struct App;
    middleware { from_header, from_cookie }
    routes { GET "/" => hello }
}

fn main() {}
