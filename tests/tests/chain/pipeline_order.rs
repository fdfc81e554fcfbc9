//! Order and short-circuit semantics of generated pipelines.
// `guard` is async to show async middleware in a chain; it needs no await.
#![allow(clippy::unused_async)]

use std::sync::Mutex;

use kiln::prelude::*;

/// Records the order in which hooks ran.
#[derive(Default)]
struct Trace(Mutex<Vec<&'static str>>);

impl Trace {
    fn push(&self, s: &'static str) {
        self.0.lock().unwrap().push(s);
    }
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[middleware(priority = 10, pre_route)]
fn outer_pre(t: &Trace) {
    t.push("outer_pre");
}

#[middleware(priority = 5, post_route)]
fn outer_post(t: &Trace, _res: &mut Response) {
    t.push("outer_post");
}

/// Short-circuits with 401 when `x-deny` is present.
#[middleware(priority = 20, pre_route)]
async fn guard(t: &Trace, req: &Request) -> Result<(), StatusCode> {
    t.push("guard");
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::UNAUTHORIZED)
    } else {
        Ok(())
    }
}

#[middleware(priority = 30, post_route)]
fn inner_post(t: &Trace, res: &mut Response) {
    t.push("inner_post");
    res.headers_mut()
        .insert("x-inner", kiln::http::HeaderValue::from_static("1"));
}

#[middleware(priority = 15, pre_route)]
fn tie_a(t: &Trace) {
    t.push("tie_a");
}

#[middleware(priority = 15, pre_route)]
fn tie_b(t: &Trace) {
    t.push("tie_b");
}

#[middleware(priority = 40, pre_route)]
fn route_only(t: &Trace) {
    t.push("route_only");
}

#[handler]
fn index(t: &Trace) -> &'static str {
    t.push("handler");
    "ok"
}

chain! {
    struct Ordered;
    singletons { trace: Trace }
    // Listed out of order on purpose: priorities decide, ties keep listing order.
    middleware { inner_post, guard, tie_a, outer_post, tie_b, outer_pre }
    routes {
        GET "/" => index,
        GET "/special" => index with [route_only],
        GET "/early" => index with [route_only(priority = 1)],
    }
}

fn client() -> TestClient<Ordered> {
    TestClient::new(Ordered::new(OrderedSingletons {
        trace: Trace::default(),
    }))
}

#[tokio::test]
async fn pre_ascending_post_descending_ties_in_listing_order() {
    let c = client();
    let res = c.get("/").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("x-inner"), Some("1"));
    assert_eq!(
        c.app().trace.take(),
        [
            "outer_pre",
            "tie_a",
            "tie_b",
            "guard",
            "handler",
            "inner_post",
            "outer_post"
        ]
    );
}

#[tokio::test]
async fn short_circuit_runs_only_outer_post_hooks() {
    let c = client();
    let res = c.get("/").header("x-deny", "1").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("x-inner"), None, "inner post hook must not run");
    assert_eq!(
        c.app().trace.take(),
        ["outer_pre", "tie_a", "tie_b", "guard", "outer_post"]
    );
}

#[tokio::test]
async fn per_route_middleware_merges_by_priority() {
    let c = client();
    c.get("/special").send().await;
    assert_eq!(
        c.app().trace.take(),
        [
            "outer_pre",
            "tie_a",
            "tie_b",
            "guard",
            "route_only",
            "handler",
            "inner_post",
            "outer_post"
        ]
    );
    // The listing overrides the priority: 1 puts it outermost.
    c.get("/early").send().await;
    assert_eq!(
        c.app().trace.take(),
        [
            "route_only",
            "outer_pre",
            "tie_a",
            "tie_b",
            "guard",
            "handler",
            "inner_post",
            "outer_post"
        ]
    );
    // Other routes are unaffected.
    c.get("/").send().await;
    assert!(!c.app().trace.take().contains(&"route_only"));
}

#[tokio::test]
async fn unmatched_requests_run_the_global_chain() {
    let c = client();
    let res = c.get("/nope").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("x-inner"), Some("1"));
    assert_eq!(
        c.app().trace.take(),
        [
            "outer_pre",
            "tie_a",
            "tie_b",
            "guard",
            "inner_post",
            "outer_post"
        ]
    );
    let res = c.post("/").send().await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
}

/// An extractor that rejects requests without `x-need`.
struct Needed;

impl kiln::FromRequestParts for Needed {
    type Rejection = StatusCode;
    fn from_request_parts(req: &Request, _: &kiln::RequestCx<'_>) -> Result<Self, StatusCode> {
        if req.headers().contains_key("x-need") {
            Ok(Needed)
        } else {
            Err(StatusCode::BAD_REQUEST)
        }
    }
}

#[handler]
fn needy(_n: Needed) -> &'static str {
    "got it"
}

chain! {
    struct Extracting;
    singletons { trace: Trace }
    middleware { outer_post, inner_post }
    routes { GET "/" => needy }
}

#[tokio::test]
async fn extractor_rejection_still_runs_post_hooks() {
    let c = TestClient::new(Extracting::new(ExtractingSingletons {
        trace: Trace::default(),
    }));
    let res = c.get("/").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.header("x-inner"), Some("1"));
    assert_eq!(c.app().trace.take(), ["inner_post", "outer_post"]);
    assert_eq!(
        c.get("/").header("x-need", "1").send().await.text(),
        "got it"
    );
}

/// Both phases in one `impl`: `pre` returns the value `post` receives as `&self`.
struct Span(&'static str);

#[middleware(priority = 12, pre_route, post_route)]
impl Span {
    fn pre(t: &Trace) -> Self {
        t.push("span_pre");
        Span("span")
    }
    fn post(&self, t: &Trace, res: &mut Response) {
        t.push("span_post");
        res.headers_mut()
            .insert("x-span", kiln::http::HeaderValue::from_static(self.0));
    }
}

/// Configured middleware: `&self` is the `Banner` singleton.
struct Banner {
    value: kiln::http::HeaderValue,
}

#[middleware(priority = 3, post_route)]
impl Banner {
    fn post(&self, res: &mut Response) {
        res.headers_mut().insert("x-banner", self.value.clone());
    }
}

#[handler]
fn sees_span(span: &Span, t: &Trace) -> &'static str {
    t.push("handler");
    span.0
}

chain! {
    struct Impls;
    singletons { trace: Trace, banner: Banner }
    middleware { Banner, guard, Span, outer_pre }
    routes { GET "/" => sees_span }
}

fn impls() -> TestClient<Impls> {
    let banner = Banner {
        value: kiln::http::HeaderValue::from_static("kiln"),
    };
    TestClient::new(Impls::new(ImplsSingletons {
        trace: Trace::default(),
        banner,
    }))
}

#[tokio::test]
async fn impl_middleware_keeps_state_between_hooks_and_reads_config() {
    let c = impls();
    let res = c.get("/").send().await;
    assert_eq!(res.text(), "span");
    assert_eq!(res.header("x-span"), Some("span"));
    assert_eq!(res.header("x-banner"), Some("kiln"));
    assert_eq!(
        c.app().trace.take(),
        ["outer_pre", "span_pre", "guard", "handler", "span_post"]
    );
}

#[tokio::test]
async fn impl_post_runs_when_an_inner_pre_short_circuits() {
    let c = impls();
    let res = c.get("/").header("x-deny", "1").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("x-span"), Some("span"));
    assert_eq!(res.header("x-banner"), Some("kiln"));
    assert_eq!(
        c.app().trace.take(),
        ["outer_pre", "span_pre", "guard", "span_post"]
    );
}
