use kiln::prelude::*;

#[handler(crate = kiln, inline)]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
