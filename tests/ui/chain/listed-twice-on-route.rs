use kiln::prelude::*;

#[middleware(priority = 0, post_route)]
fn stamp(res: &mut Response) {
    res.headers_mut().insert("x-stamp", kiln::http::HeaderValue::from_static("1"));
}

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct App;
    routes {
        scope "/api" with [stamp] {
            GET "/x" => hello with [stamp],
        }
    }
}

fn main() {
    let _ = App::new();
}
