use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    routes { FETCH "/" => hello }
}

fn main() {}
