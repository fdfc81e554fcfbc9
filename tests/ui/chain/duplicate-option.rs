use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    routes { GET "/" => hello }
    options { stats, stats }
}

fn main() {}
