//! `kiln::builtin::BodyLimit`: 413 up front by `Content-Length`, and while
//! reading a body of unknown length.

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

chain! {
    struct App;
    singletons { limit: BodyLimit, hits: Hits }
    middleware { kiln::builtin::BodyLimit }
    routes { POST "/" => upload }
}

fn client() -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        limit: BodyLimit::new(8).unwrap(),
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

#[tokio::test]
async fn declared_lengths_over_the_limit_are_rejected_up_front() {
    let c = client();
    let res = c
        .post("/")
        .header("content-length", "9")
        .body("123456789")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
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
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = c.post("/").body(stream(&["1234", "5678"])).send().await;
    assert_eq!(res.text(), "8");
}
