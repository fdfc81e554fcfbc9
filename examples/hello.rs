//! The hello example: a singleton, a `pre_route` guard that short-circuits and
//! a `post_route` header that also reaches 403s and 404s, served over HTTP.
//!
//! Run: `cargo run -p kiln-examples --example hello`, then
//! `curl -i http://127.0.0.1:8080/` (and `-H 'x-block: 1'`, or `/missing`).
//! Ctrl-C shuts down gracefully.

use kiln::prelude::*;

// The one-line allocator opt-in (feature `jemalloc` of `kiln`).
#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

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

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().init();
    let addr = "127.0.0.1:8080";
    let app = HelloApp::new(HelloAppSingletons {
        greeting: Greeting("hello from kiln\n"),
    });
    // The chain as `chain!` resolved it: order, priorities, phases, wiring.
    tracing::info!("serving HelloApp on http://{addr}/\n{}", app.describe());
    kiln::serve(app).bind(addr).await
}
