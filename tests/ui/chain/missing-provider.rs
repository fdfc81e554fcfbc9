use kiln::prelude::*;

struct Config {
    greeting: &'static str,
}

#[handler]
fn hello(config: &Config) -> &'static str {
    config.greeting
}

chain! {
    struct App;
    routes { GET "/" => hello }
}

fn main() {}
