use kiln::prelude::*;

#[handler]
fn hello(_r: Request) -> &'static str {
    "hi"
}

chain! {
    struct App;
    routes { GET "/" => hello }
}

fn main() {}
