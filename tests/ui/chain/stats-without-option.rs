use kiln::prelude::*;

#[handler]
fn hello() -> &'static str {
    "hello"
}

// `kiln::stats::prometheus` reads `&Stats`, which only `options { stats }` provides.
chain! {
    struct App;
    routes {
        GET "/" => hello,
        GET "/metrics" => kiln::stats::prometheus,
    }
}

fn main() {}
