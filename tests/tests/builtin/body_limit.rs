//! Body limits per route (`#[limit(body = ..)]`), the server's limit for the
//! rest, and `kiln::builtin::BodyLimit` checking the route's limit early.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use kiln::builtin::BodyLimit;
use kiln::prelude::*;

#[derive(Default)]
struct Hits(AtomicUsize);

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn upload(hits: &Hits, body: Bytes) -> String {
    hits.0.fetch_add(1, Ordering::SeqCst);
    body.len().to_string()
}

/// Counts the request, then reads the body: shows whether `BodyLimit` ran first.
#[handler]
#[allow(clippy::needless_pass_by_value)]
fn counted(hits: &Hits, body: Bytes) -> String {
    upload(hits, body)
}

chain! {
    struct App;
    singletons { limit: BodyLimit, hits: Hits }
    middleware { kiln::builtin::BodyLimit }
    routes {
        #[limit(body = 8)]
        POST "/" => upload,
        #[limit(body = 64)]
        POST "/wide" => upload,
        POST "/default" => upload,
    }
}

// No `BodyLimit` listed: the extractors enforce the same limits.
chain! {
    struct Bare;
    singletons { hits: Hits }
    routes {
        #[limit(body = 8)]
        POST "/" => counted,
        #[limit(body = 4)]
        scope "/small" {
            POST "/a" => counted,
            #[limit(body = 16)]
            POST "/b" => counted,
        }
    }
}

fn client() -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        limit: BodyLimit,
        hits: Hits::default(),
    }))
}

fn bare() -> TestClient<Bare> {
    TestClient::new(Bare::new(BareSingletons {
        hits: Hits::default(),
    }))
}

fn stream(chunks: &'static [&'static str]) -> Body {
    Body::from_stream(Chunks(chunks.iter()))
}

/// A stream of chunks without a known length (like a chunked upload).
struct Chunks(std::slice::Iter<'static, &'static str>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next().map(|c| Ok(Bytes::from_static(c.as_bytes()))))
    }
}

fn detail(res: &kiln::TestResponse) -> String {
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: serde_json::Value = res.json();
    assert_eq!(v["code"], "payload_too_large");
    v["detail"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn declared_lengths_over_the_limit_are_rejected_up_front() {
    let c = client();
    let res = c
        .post("/")
        .header("content-length", "9")
        .body("123456789")
        .send()
        .await;
    assert_eq!(detail(&res), "request body larger than 8 bytes");
    assert_eq!(
        c.app().hits.0.load(Ordering::SeqCst),
        0,
        "the handler never ran"
    );
    let res = c
        .post("/")
        .header("content-length", "8")
        .body("12345678")
        .send()
        .await;
    assert_eq!(res.text(), "8");
}

#[tokio::test]
async fn each_route_has_its_own_limit_and_the_server_s_is_the_default() {
    let c = client();
    let body = "x".repeat(40);
    assert_eq!(c.post("/wide").body(body.clone()).send().await.text(), "40");
    let res = c.post("/").body(body.clone()).send().await;
    assert_eq!(detail(&res), "request body larger than 8 bytes");
    let res = c.post("/wide").body("x".repeat(65)).send().await;
    assert_eq!(detail(&res), "request body larger than 64 bytes");
    // The server's limit (a `TestClient` has the server's default, 2 MiB).
    assert_eq!(c.post("/default").body(body).send().await.text(), "40");
    let res = c
        .post("/default")
        .body_limit(16)
        .body("x".repeat(17))
        .send()
        .await;
    assert_eq!(detail(&res), "request body larger than 16 bytes");
    // A route's own limit may be above the server's.
    let res = c
        .post("/wide")
        .body_limit(16)
        .body("x".repeat(60))
        .send()
        .await;
    assert_eq!(res.text(), "60");
}

#[tokio::test]
async fn in_memory_bodies_are_measured() {
    let c = client();
    assert_eq!(
        c.post("/").body("123456789").send().await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(c.post("/").body("1234").send().await.text(), "4");
}

#[tokio::test]
async fn streams_of_unknown_length_are_cut_at_the_limit() {
    let c = client();
    let res = c
        .post("/")
        .body(stream(&["1234", "5678", "9"]))
        .send()
        .await;
    assert_eq!(detail(&res), "request body larger than 8 bytes");
    let res = c.post("/").body(stream(&["1234", "5678"])).send().await;
    assert_eq!(res.text(), "8");
}

#[tokio::test]
async fn without_body_limit_the_extractors_enforce_the_route_s_limit() {
    let c = bare();
    let res = c
        .post("/")
        .header("content-length", "9")
        .body("123456789")
        .send()
        .await;
    assert_eq!(detail(&res), "request body larger than 8 bytes");
    let res = c.post("/").body(stream(&["12345", "6789"])).send().await;
    assert_eq!(detail(&res), "request body larger than 8 bytes");
    // A scope's limit covers its routes; a route's own overrides it.
    let res = c.post("/small/a").body("12345").send().await;
    assert_eq!(detail(&res), "request body larger than 4 bytes");
    assert_eq!(c.post("/small/b").body("12345").send().await.text(), "5");
    assert_eq!(c.app().hits.0.load(Ordering::SeqCst), 1);
}

#[test]
fn describe_shows_each_route_s_limits() {
    let d = bare().app().describe();
    let limits: Vec<(&str, &str)> = d
        .routes
        .iter()
        .map(|r| (r.pattern.unwrap(), r.limits))
        .collect();
    assert_eq!(
        limits,
        [
            ("/", "body = 8"),
            ("/small/a", "body = 4"),
            ("/small/b", "body = 16")
        ]
    );
    assert!(d.to_string().contains("limits: body = 16"), "{d}");
}
