use kiln::prelude::*;

#[middleware(priority = 0, pre_route)]
async fn early(next: Next<'_>) -> Response {
    next.await
}

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    middleware { early }
    routes { GET "/" => hello }
}

fn main() {
    let _ = App::new();
}
