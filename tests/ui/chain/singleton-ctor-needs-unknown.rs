use kiln::prelude::*;

struct Pool;
struct Settings;

#[provider]
fn pool(_settings: &Settings) -> Pool {
    Pool
}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    singletons { pool: Pool = pool }
    routes { GET "/" => hello }
}

fn main() {}
