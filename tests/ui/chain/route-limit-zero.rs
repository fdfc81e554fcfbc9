use kiln::builtin::Quota;
use kiln::prelude::*;

#[handler]
fn ok() -> &'static str {
    "ok"
}

chain! {
    struct App;
    routes {
        #[limit(body = 0)]
        POST "/upload" => ok,
        #[limit(rate = Quota::per_minute(0))]
        POST "/login" => ok,
    }
}

fn main() {}
