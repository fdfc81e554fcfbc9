use kiln::prelude::*;

#[handler]
fn pair() -> &'static str {
    "pair"
}

chain! {
    struct App;
    routes { GET "/a/{id}/b/{id}" => pair }
}

fn main() {}
