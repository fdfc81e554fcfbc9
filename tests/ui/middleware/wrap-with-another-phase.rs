use kiln::prelude::*;

#[middleware(priority = 1, wrap, pre_route)]
async fn around(next: Next<'_>) -> Response {
    next.await
}

fn main() {}
