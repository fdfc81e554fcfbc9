use kiln::prelude::*;

struct User(u32);

#[middleware(priority = 1, pre_route)]
fn audit(user: &User) {
    let _ = user.0;
}

#[middleware(priority = 10, pre_route)]
fn authenticate(_req: &Request) -> User {
    User(1)
}

#[handler]
fn hello(user: &User) -> String {
    user.0.to_string()
}

// `audit` needs `User`, so move it after `authenticate` at the use site.
chain! {
    struct App;
    middleware { audit(priority = 20), authenticate }
    routes { GET "/" => hello }
}

fn main() {
    let _ = App::new();
}
