use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    routes { GET "/" => hello }
    options { errors }
}

fn main() {}
