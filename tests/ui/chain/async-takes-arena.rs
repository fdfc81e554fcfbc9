use kiln::Bump;
use kiln::prelude::*;

#[handler]
async fn scratch(bump: &Bump) -> String {
    bump.alloc_str("x").to_owned()
}

chain! {
    struct App;
    routes { GET "/" => scratch }
}

fn main() {}
