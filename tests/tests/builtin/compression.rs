//! The `Compression` built-in: negotiation (q-values, `identity;q=0` → 406),
//! the skip rules, `Vary` and `ETag`, streaming over a real socket, and
//! request decompression with a limit (a zip bomb is a 413).

use super::support;

use std::convert::Infallible;
use std::time::Duration;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, GzipEncoder, ZstdDecoder};
use bytes::Bytes;
use http_body_util::BodyExt;
use kiln::builtin::{BodyLimit, Compression};
use kiln::fs::ContentCoding;
use kiln::http::{HeaderValue, StatusCode, header};
use kiln::prelude::*;
use kiln::{ServeConfig, TestResponse};
use support::{H1, problem, start};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;

/// 64 KiB of JSON-ish text.
fn text() -> String {
    use std::fmt::Write;
    (0..2000).fold(String::new(), |mut s, i| {
        let _ = write!(s, "{{\"id\":{i:05},\"ok\":true}},");
        s
    })
}

#[handler]
fn json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text()).into_response()
}

#[handler]
fn small() -> &'static str {
    "tiny"
}

#[handler]
fn png() -> Response {
    ([(header::CONTENT_TYPE, "image/png")], text()).into_response()
}

#[handler]
fn no_transform() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CACHE_CONTROL, "public, no-transform"),
        ],
        text(),
    )
        .into_response()
}

#[handler]
fn partial() -> Response {
    (
        StatusCode::PARTIAL_CONTENT,
        [(header::CONTENT_TYPE, "text/plain")],
        text(),
    )
        .into_response()
}

#[handler]
fn tagged() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::ETAG, "\"v1\""),
            (header::ACCEPT_RANGES, "bytes"),
            (header::VARY, "origin"),
        ],
        text(),
    )
        .into_response()
}

#[handler]
fn events() -> Response {
    ([(header::CONTENT_TYPE, "text/event-stream")], text()).into_response()
}

/// A body of unknown length: 64 chunks of 64 KiB (4 MiB).
#[handler]
fn stream() -> Response {
    let chunks =
        (0..64).map(|i| Ok::<_, Infallible>(Bytes::from(format!("{i:04}").repeat(16 * 1024))));
    let body = Body::from_stream(StreamIter(chunks));
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// Half a body, then waits until the test has seen compressed bytes.
#[handler]
fn held(gate: &Gate) -> Response {
    let gate = std::sync::Arc::clone(&gate.0);
    let first = Bytes::from("first half of the stream ".repeat(4000));
    let body = Body::from_stream(Held {
        first: Some(first),
        gate,
        waiting: None,
    });
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn echo(body: Bytes) -> String {
    format!(
        "{} bytes: {}",
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(20)])
    )
}

/// Released by the test once it has read the first compressed bytes.
struct Gate(std::sync::Arc<Notify>);

chain! {
    struct App;
    singletons { compression: Compression, limit: BodyLimit, gate: Gate }
    middleware { kiln::builtin::BodyLimit, kiln::builtin::Compression }
    routes {
        GET "/json" => json,
        GET "/small" => small,
        GET "/png" => png,
        GET "/no-transform" => no_transform,
        GET "/partial" => partial,
        GET "/tagged" => tagged,
        GET "/events" => events,
        GET "/stream" => stream,
        GET "/held" => held,
        #[limit(body = 1024 * 1024)]
        POST "/echo" => echo,
    }
}

fn app_with(compression: Compression) -> (App, std::sync::Arc<Notify>) {
    let gate = std::sync::Arc::new(Notify::new());
    let app = App::new(AppSingletons {
        compression,
        limit: BodyLimit,
        gate: Gate(std::sync::Arc::clone(&gate)),
    });
    (app, gate)
}

fn client() -> TestClient<App> {
    let compression = Compression::builder()
        .decompress_requests(256 * 1024)
        .build()
        .unwrap();
    TestClient::new(app_with(compression).0)
}

async fn get(client: &TestClient<App>, path: &str, accept: &str) -> TestResponse {
    client
        .get(path)
        .header("accept-encoding", accept)
        .send()
        .await
}

async fn decode(coding: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => GzipDecoder::new(data).read_to_end(&mut out).await,
        "br" => BrotliDecoder::new(data).read_to_end(&mut out).await,
        "zstd" => ZstdDecoder::new(data).read_to_end(&mut out).await,
        other => panic!("unexpected coding {other}"),
    }
    .unwrap();
    out
}

#[tokio::test]
async fn each_coding_round_trips() {
    let client = client();
    for coding in ["gzip", "br", "zstd"] {
        let res = get(&client, "/json", coding).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_eq!(res.header("content-length"), None);
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert!(
            res.body.len() < text().len() / 4,
            "{coding}: {} bytes",
            res.body.len()
        );
        assert_eq!(
            decode(coding, &res.body).await,
            text().as_bytes(),
            "{coding}"
        );
    }
}

#[tokio::test]
async fn negotiation_follows_q_values() {
    let client = client();
    let enc = |res: &TestResponse| res.header("content-encoding").map(str::to_owned);
    // Ties go to the server's order (zstd, br, gzip).
    assert_eq!(
        enc(&get(&client, "/json", "gzip, deflate, br, zstd").await).as_deref(),
        Some("zstd")
    );
    assert_eq!(
        enc(&get(&client, "/json", "gzip, br").await).as_deref(),
        Some("br")
    );
    assert_eq!(
        enc(&get(&client, "/json", "br;q=0.4, gzip;q=0.8").await).as_deref(),
        Some("gzip")
    );
    assert_eq!(
        enc(&get(&client, "/json", "*").await).as_deref(),
        Some("zstd")
    );
    assert_eq!(
        enc(&get(&client, "/json", "*;q=0.5, zstd;q=0").await).as_deref(),
        Some("br")
    );
    assert_eq!(enc(&get(&client, "/json", "gzip;q=0").await), None);
    assert_eq!(enc(&get(&client, "/json", "deflate, compress").await), None);
    assert_eq!(
        enc(&get(&client, "/json", "gzip;q=0.5, identity").await),
        None,
        "identity weighed higher"
    );
    assert_eq!(enc(&get(&client, "/json", "").await), None);
    let res = client.get("/json").send().await;
    assert_eq!(res.header("content-encoding"), None, "no header, no coding");
    assert_eq!(
        res.header("vary"),
        Some("accept-encoding"),
        "but the answer varies"
    );
    assert_eq!(res.body, text().as_bytes());
}

#[tokio::test]
async fn nothing_acceptable_is_406() {
    let client = client();
    for accept in [
        "identity;q=0",
        "*;q=0",
        "deflate, identity;q=0",
        "gzip;q=0, br;q=0, zstd;q=0, identity;q=0",
    ] {
        let res = get(&client, "/json", accept).await;
        assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE, "{accept}");
        let p = problem(&res);
        assert_eq!(p["code"], "not_acceptable");
        assert!(
            p["detail"].as_str().unwrap().contains("zstd, br, gzip"),
            "{p}"
        );
    }
    // Identity refused but gzip accepted: even a small body is compressed.
    let res = get(&client, "/small", "gzip, identity;q=0").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(decode("gzip", &res.body).await, b"tiny");
}

#[tokio::test]
async fn skip_rules() {
    let client = client();
    let res = get(&client, "/small", "gzip").await;
    assert_eq!(
        (res.header("content-encoding"), res.header("vary")),
        (None, None),
        "small body"
    );
    assert_eq!(res.text(), "tiny");
    for path in ["/png", "/no-transform", "/partial", "/events"] {
        let res = get(&client, path, "gzip, br, zstd").await;
        assert_eq!(res.header("content-encoding"), None, "{path}");
        assert_eq!(res.body, text().as_bytes(), "{path}");
    }
}

#[tokio::test]
async fn etag_weakens_and_vary_is_appended() {
    let client = client();
    let res = get(&client, "/tagged", "gzip").await;
    assert_eq!(res.header("etag"), Some("W/\"v1\""));
    assert_eq!(res.header("accept-ranges"), None);
    let vary: Vec<&str> = res
        .headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(vary, ["origin", "accept-encoding"]);
    let res = client.get("/tagged").send().await;
    assert_eq!(
        res.header("etag"),
        Some("\"v1\""),
        "unchanged when not compressed"
    );
}

#[tokio::test]
async fn streams_of_unknown_length_are_compressed() {
    let client = client();
    let res = get(&client, "/stream", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    let out = decode("gzip", &res.body).await;
    assert_eq!(out.len(), 4 * 1024 * 1024);
    assert_eq!(&out[..8], b"00000000");
    assert_eq!(&out[out.len() - 4..], b"0063");
}

#[tokio::test]
async fn request_bodies_are_decoded_within_the_limit() {
    let client = client();
    let packed = gzip(b"hello compressed world").await;
    let res = client
        .post("/echo")
        .header("content-encoding", "gzip")
        .body(packed)
        .send()
        .await;
    assert_eq!(res.text(), "22 bytes: hello compressed wor");

    // 16 MiB of zeros in ~16 KiB: stopped at the 256 KiB limit, not buffered.
    let bomb = gzip(&vec![0u8; 16 * 1024 * 1024]).await;
    assert!(bomb.len() < 128 * 1024, "{}", bomb.len());
    let res = client
        .post("/echo")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let p = problem(&res);
    assert_eq!(p["code"], "payload_too_large");
    assert_eq!(
        p["detail"],
        "decompressed request body larger than 262144 bytes"
    );

    let res = client
        .post("/echo")
        .header("content-encoding", "gzip")
        .body("not gzip")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(&res)["code"], "invalid_body");

    let res = client
        .post("/echo")
        .header("content-encoding", "compress")
        .body("x")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.header("accept-encoding"), Some("gzip, br, zstd"));
    assert_eq!(problem(&res)["code"], "unsupported_media_type");
    let res = client
        .post("/echo")
        .header("content-encoding", "gzip, br")
        .body("x")
        .send()
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "stacked codings"
    );

    // Off by default: the handler sees the bytes as sent.
    let plain = TestClient::new(app_with(Compression::default()).0);
    let res = plain
        .post("/echo")
        .header("content-encoding", "gzip")
        .body(gzip(b"abc").await)
        .send()
        .await;
    assert!(res.text().starts_with("23 bytes"), "{}", res.text());
}

#[test]
fn levels_and_codings_are_configurable() {
    assert!(
        Compression::builder()
            .codings(&[ContentCoding::Gzip])
            .level(ContentCoding::Gzip, 1)
            .build()
            .is_ok()
    );
    assert!(
        Compression::builder()
            .level(ContentCoding::Zstd, 0)
            .build()
            .is_err()
    );
}

/// Over a socket: the zip bomb is refused with 413,
/// and a held stream's first compressed bytes arrive before it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_socket() {
    let compression = Compression::builder()
        .decompress_requests(256 * 1024)
        .build()
        .unwrap();
    let (app, gate) = app_with(compression);
    let server = start(app, ServeConfig::default()).await;

    let bomb = gzip(&vec![0u8; 16 * 1024 * 1024]).await;
    let mut conn = H1::connect(server.addr).await;
    let req = kiln::http::Request::post("/echo")
        .header("host", "t")
        .header("content-encoding", "gzip")
        .body(http_body_util::Full::new(Bytes::from(bomb)))
        .unwrap();
    let res = conn.send(req).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Streaming: the handler's body waits for the gate after its first half;
    // the client must see compressed bytes before opening it.
    let io =
        hyper_util::rt::TokioIo::new(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    let (mut sender, c) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(c);
    let req = kiln::http::Request::get("/held")
        .header("host", "t")
        .header("accept-encoding", "gzip")
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(
        res.headers().get("content-encoding"),
        Some(&HeaderValue::from_static("gzip"))
    );
    let mut body = res.into_body();
    let first = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("compressed bytes arrive while the stream is still open")
        .unwrap()
        .unwrap();
    assert!(!first.into_data().unwrap().is_empty());
    gate.notify_one();
    let rest = tokio::time::timeout(Duration::from_secs(5), body.collect())
        .await
        .unwrap()
        .unwrap();
    drop(rest);
    server.stop().await;
}

async fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzipEncoder::new(data).read_to_end(&mut out).await.unwrap();
    out
}

/// An iterator as a `Stream`.
struct StreamIter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for StreamIter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

/// Yields `first`, then waits for `gate` before yielding a last chunk.
struct Held {
    first: Option<Bytes>,
    gate: std::sync::Arc<Notify>,
    waiting: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
}

impl futures_core::Stream for Held {
    type Item = Result<Bytes, Infallible>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            let gate = std::sync::Arc::clone(&self.gate);
            self.waiting = Some(Box::pin(async move { gate.notified().await }));
            return std::task::Poll::Ready(Some(Ok(first)));
        }
        match self.waiting.as_mut() {
            None => std::task::Poll::Ready(None),
            Some(w) => match std::future::Future::poll(w.as_mut(), cx) {
                std::task::Poll::Pending => std::task::Poll::Pending,
                std::task::Poll::Ready(()) => {
                    self.waiting = None;
                    std::task::Poll::Ready(Some(Ok(Bytes::from_static(b"second half"))))
                }
            },
        }
    }
}
