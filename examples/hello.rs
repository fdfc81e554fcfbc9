//! The hello example: an app driven in process through `TestClient`.
//!
//! Run: `cargo run -p kiln-examples --example hello`
//! (Serving over a socket arrives with the serving issue.)

use kiln::prelude::*;

/// App-wide configuration, injected as a singleton.
struct Greeting(&'static str);

/// Rejects requests that carry `x-block`.
#[middleware(priority = 10, pre_route)]
fn gate(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-block") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

/// Marks every response, including short-circuits and 404s.
#[middleware(priority = 0, post_route)]
fn powered_by(res: &mut Response) {
    res.headers_mut()
        .insert("x-powered-by", kiln::http::HeaderValue::from_static("kiln"));
}

#[handler]
fn hello(greeting: &Greeting) -> &'static str {
    greeting.0
}

chain! {
    struct HelloApp;
    singletons { greeting: Greeting }
    middleware { powered_by, gate }
    routes { GET "/" => hello }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = TestClient::new(HelloApp::new(Greeting("hello from kiln")));
    for (path, block) in [("/", false), ("/", true), ("/missing", false)] {
        let mut req = client.get(path);
        if block {
            req = req.header("x-block", "1");
        }
        let res = req.send().await;
        println!(
            "GET {path}{} -> {} x-powered-by={:?} body={:?}",
            if block { " (x-block)" } else { "" },
            res.status(),
            res.header("x-powered-by"),
            res.text()
        );
    }
}
