use kiln::prelude::*;

struct Registry;
struct Counters;

#[handler]
fn hello() -> &'static str {
    "hello"
}

// `describe()` is generated for every app, `stats()` with `options { stats }`.
chain! {
    struct App;
    singletons { describe: Registry, stats: Counters }
    routes { GET "/" => hello }
    options { stats }
}

fn main() {}
