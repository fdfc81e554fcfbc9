use kiln::prelude::*;

#[middleware(priority = 1, wrap)]
async fn around(req: &Request, next: Next<'_>) -> Response {
    let _ = req.uri();
    next.await
}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    middleware { around }
    routes { GET "/" => hello }
}

fn main() {}
