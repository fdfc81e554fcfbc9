use kiln::prelude::*;

#[handler]
fn a() -> &'static str {
    "a"
}

#[handler]
fn b() -> &'static str {
    "b"
}

chain! {
    struct App;
    routes {
        fallback => a,
        fallback => b,
    }
}

fn main() {}
