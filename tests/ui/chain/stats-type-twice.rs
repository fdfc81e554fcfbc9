use kiln::prelude::*;

/// The user's own type, with the name the `stats` option provides.
struct Stats;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    singletons { metrics: Stats }
    routes { GET "/" => hello }
    options { stats }
}

fn main() {}
