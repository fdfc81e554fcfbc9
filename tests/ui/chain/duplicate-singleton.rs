use kiln::prelude::*;

struct Config(&'static str);

#[handler]
fn hello(config: &Config) -> &'static str {
    config.0
}

chain! {
    struct App;
    singletons { primary: Config, fallback: Config }
    routes { GET "/" => hello }
}

fn main() {}
