use kiln::prelude::*;

#[handler]
fn deep() -> &'static str {
    "deep"
}

chain! {
    struct App;
    routes { GET "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}" => deep }
}

fn main() {}
