// A keyword where the app's name goes: one error, at the keyword (no
// placeholder struct named `extern` with errors of its own).
use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct extern;
    routes { GET "/" => hello }
}

fn main() {}
