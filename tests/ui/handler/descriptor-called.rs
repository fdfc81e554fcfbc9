use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

fn main() {
    hello!(1, 2);
}
