use kiln::prelude::*;

#[handler]
fn spa() -> &'static str {
    "index"
}

chain! {
    struct App;
    routes {
        scope "/app" {
            fallback => spa,
        }
    }
}

fn main() {}
