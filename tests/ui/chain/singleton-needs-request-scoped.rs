use kiln::prelude::*;

struct Session;
struct Cache;

#[provider]
fn session() -> Session {
    Session
}

#[provider]
fn cache(_s: &Session) -> Cache {
    Cache
}

#[handler]
fn hello(_c: &Cache) -> &'static str {
    "hi"
}

chain! {
    struct App;
    singletons { cache: Cache = cache }
    request { session }
    routes { GET "/" => hello }
}

fn main() {}
