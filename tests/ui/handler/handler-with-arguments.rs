use kiln::prelude::*;

#[handler(GET)]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
