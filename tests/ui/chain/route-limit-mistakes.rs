use kiln::prelude::*;

#[handler]
fn ok() -> &'static str {
    "ok"
}

chain! {
    struct App;
    routes {
        #[limits(body = 1024)]
        GET "/a" => ok,
        #[limit(size = 1024)]
        GET "/b" => ok,
        #[limit(body = 1, body = 2)]
        GET "/c" => ok,
        #[limit(body = 1024)]
        fallback => ok,
    }
}

fn main() {}
