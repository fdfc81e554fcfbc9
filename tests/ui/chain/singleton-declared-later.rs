use kiln::prelude::*;

struct Config;
struct Cache;

#[provider]
fn cache(_c: &Config) -> Cache {
    Cache
}

#[handler]
fn hello(_c: &Cache) -> &'static str {
    "hi"
}

chain! {
    struct App;
    singletons { cache: Cache = cache, config: Config }
    routes { GET "/" => hello }
}

fn main() {}
