use kiln::prelude::*;

struct Greeting(&'static str);

#[middleware(priority = 10, pre_route)]
async fn gate(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-block") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

#[middleware(priority = 0, post_route)]
async fn powered_by(res: &mut Response) {
    res.headers_mut()
        .insert("x-powered-by", kiln::http::HeaderValue::from_static("kiln"));
}

#[handler]
async fn hello(greeting: &Greeting) -> &'static str {
    greeting.0
}

#[handler]
fn open() -> &'static str {
    "open"
}

chain! {
    struct App;
    singletons { greeting: Greeting }
    middleware { powered_by }
    routes {
        GET "/" => hello with [gate],
        GET "/open" => open,
    }
}

fn main() {
    let _ = App::new(AppSingletons { greeting: Greeting("hi") });
}
