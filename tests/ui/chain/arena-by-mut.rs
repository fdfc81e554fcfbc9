use kiln::Bump;
use kiln::prelude::*;

#[handler]
fn scratch(bump: &mut Bump) -> &'static str {
    bump.reset();
    "ok"
}

chain! {
    struct App;
    routes { GET "/" => scratch }
}

fn main() {}
