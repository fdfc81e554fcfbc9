use kiln::prelude::*;

struct Pool;

#[provider]
async fn pool() -> Pool {
    Pool
}

#[handler]
fn hello(_p: &Pool) -> &'static str {
    "hi"
}

chain! {
    struct App;
    singletons { pool: Pool = pool }
    routes { GET "/" => hello }
}

fn main() {}
