//! `wrap` middleware: around the rest of the chain, in priority order, with
//! short-circuits inside it seen as the response of `next`.

use std::sync::Mutex;

use kiln::prelude::*;

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[middleware(priority = 0, post_route)]
fn outer_post(log: &Log, res: &mut Response) {
    log.push(format!("outer_post {}", res.status().as_u16()));
}

/// Wraps everything inside priority 10 and stamps what it saw.
#[middleware(priority = 10, wrap)]
async fn around(log: &Log, next: Next<'_>) -> Response {
    log.push("around before");
    let mut res = next.await;
    log.push(format!("around after {}", res.status().as_u16()));
    res.headers_mut()
        .insert("x-wrapped", kiln::http::HeaderValue::from_static("1"));
    res
}

#[middleware(priority = 20, pre_route)]
fn gate(log: &Log, req: &Request) -> Result<(), StatusCode> {
    log.push("gate");
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

#[middleware(priority = 30, post_route)]
fn inner_post(log: &Log, _res: &mut Response) {
    log.push("inner_post");
}

/// A configurable wrap: swaps a 500 for a fixed text.
struct Friendly(&'static str);

#[middleware(priority = 5, wrap)]
impl Friendly {
    async fn wrap(&self, next: Next<'_>) -> Response {
        let res = next.await;
        if res.status() == StatusCode::INTERNAL_SERVER_ERROR {
            (StatusCode::INTERNAL_SERVER_ERROR, self.0).into_response()
        } else {
            res
        }
    }
}

#[handler]
fn ok(log: &Log) -> &'static str {
    log.push("handler");
    "ok"
}

#[handler]
fn broken() -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

chain! {
    struct App;
    singletons { log: Log, friendly: Friendly }
    middleware { outer_post, around, gate, inner_post, Friendly }
    routes { GET "/" => ok, GET "/broken" => broken }
}

fn client() -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        log: Log::default(),
        friendly: Friendly("sorry"),
    }))
}

#[tokio::test]
async fn wrap_runs_around_the_inner_chain() {
    let c = client();
    let res = c.get("/").send().await;
    assert_eq!(res.text(), "ok");
    assert_eq!(res.header("x-wrapped"), Some("1"));
    assert_eq!(
        c.app().log().take(),
        [
            "around before",
            "gate",
            "handler",
            "inner_post",
            "around after 200",
            "outer_post 200"
        ]
    );
}

#[tokio::test]
async fn a_short_circuit_inside_is_what_next_returns() {
    let c = client();
    let res = c.get("/").header("x-deny", "1").send().await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.header("x-wrapped"), Some("1"));
    assert_eq!(
        c.app().log().take(),
        [
            "around before",
            "gate",
            "around after 403",
            "outer_post 403"
        ]
    );
}

#[tokio::test]
async fn impl_wrap_reads_its_config() {
    let res = client().get("/broken").send().await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "sorry");
}

#[tokio::test]
async fn unmatched_requests_are_wrapped_too() {
    let c = client();
    let res = c.get("/nope").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("x-wrapped"), Some("1"));
}
