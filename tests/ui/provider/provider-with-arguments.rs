use kiln::prelude::*;

struct Session;

#[provider(scope = "request")]
fn session() -> Session {
    Session
}

fn main() {}
