//! Slow and idle clients: the body read timeouts (between chunks and in
//! total) answer `408 body_timeout` and close the connection; idle HTTP/1 and
//! HTTP/2 connections are closed after `idle_timeout`, busy ones are not.

use super::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use std::convert::Infallible;

use http_body_util::{Full, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kiln::http::StatusCode;
use kiln::{App, Conn, FromRequest, IntoResponse, PathParams, Request, RequestCx, Response};
use support::{H1, get, once, post, start, status_line};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Echoes bodies (through the `Bytes` extractor), sleeps on `/slow?ms`.
struct Echo;

impl App for Echo {
    async fn handle(&self, mut req: Request, conn: &mut Conn) -> Response {
        match req.uri().path() {
            "/echo" => {
                let cx = RequestCx::new(conn.info(), &PathParams::EMPTY, None);
                Bytes::from_request(&mut req, &cx).await.into_response()
            }
            "/slow" => {
                let ms = req
                    .uri()
                    .query()
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(200);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "done".into_response()
            }
            _ => "hello".into_response(),
        }
    }
}

fn config() -> kiln::ServeConfig {
    kiln::ServeConfig::default().drain_timeout(Duration::from_secs(2))
}

/// Reads until the server closes, at most `limit`; returns what it sent and
/// how long it took.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server did not close the connection within {limit:?}"
    );
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

fn assert_body_timeout(res: &str) {
    assert!(status_line(res).starts_with("HTTP/1.1 408"), "{res:?}");
    let lower = res.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{res:?}"
    );
    assert!(lower.contains("connection: close"), "{res:?}");
    assert!(res.contains(r#""code":"body_timeout""#), "{res:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_a_408_and_the_connection_closes() {
    let server = start(Echo, config().body_read_timeout(Duration::from_millis(300))).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nab")
        .await
        .unwrap();
    let (res, waited) = until_closed(&mut slow, Duration::from_secs(5)).await;
    assert_body_timeout(&res);
    assert!(res.contains("within 300ms"), "{res:?}");
    assert!(
        waited >= Duration::from_millis(250),
        "timed out too early: {waited:?}"
    );
    // Others are served meanwhile and afterwards.
    assert_eq!(once(server.addr, get("/")).await.body, "hello");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_hits_the_total_timeout() {
    // A byte every 100 ms never trips the 2 s wait between chunks, but the
    // whole body may take 600 ms.
    let server = start(
        Echo,
        config()
            .body_read_timeout(Duration::from_secs(2))
            .body_total_timeout(Duration::from_millis(600)),
    )
    .await;
    let slow = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = slow.into_split();
    write
        .write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if write.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let started = Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .ok();
    let waited = started.elapsed();
    let res = String::from_utf8_lossy(&out);
    assert_body_timeout(&res);
    assert!(res.contains("did not arrive within 600ms"), "{res:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    trickle.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pauses_shorter_than_the_timeout_are_fine() {
    let server = start(Echo, config().body_read_timeout(Duration::from_millis(400))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    // 5 x 150 ms = 750 ms in all, longer than the timeout between chunks.
    for byte in b"hello" {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream.write_all(&[*byte]).await.unwrap();
    }
    let (res, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 200"), "{res:?}");
    assert!(res.ends_with("hello"), "{res:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http1_connection_is_closed() {
    // The header-read timeout would close it only after 10 s.
    let server = start(
        Echo,
        config()
            .header_read_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (res, waited) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 200"), "{res:?}");
    assert!(res.ends_with("hello"), "{res:?}");
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // A kept-alive connection that keeps working is not idle.
    let mut busy = H1::connect(server.addr).await;
    for _ in 0..4 {
        let got = busy.get("/slow?150").await;
        assert_eq!(got.status, StatusCode::OK);
    }
    server.stop().await;
}

/// Opens an h2c connection; the returned receiver fires when the server
/// closed it.
async fn h2_connect<B>(
    addr: std::net::SocketAddr,
) -> (http2::SendRequest<B>, tokio::sync::oneshot::Receiver<()>)
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder.timer(hyper_util::rt::TokioTimer::new());
    let (sender, conn) = builder.handshake(io).await.unwrap();
    let (closed, on_close) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        conn.await.ok();
        closed.send(()).ok();
    });
    (sender, on_close)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_is_closed_even_when_it_answers_pings() {
    let server = start(
        Echo,
        config()
            .http2_keep_alive_interval(Some(Duration::from_millis(100)))
            .idle_timeout(Duration::from_millis(500)),
    )
    .await;
    let (mut h2, closed) = h2_connect::<Full<Bytes>>(server.addr).await;
    // A request longer than the idle timeout: busy, so kept.
    h2.ready().await.unwrap();
    let res = h2
        .send_request(
            http::Request::get("/slow?800")
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    drop(res);
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .ok();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(h2.ready().await.is_err(), "the connection is gone");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_http1_connection_gets_the_header_timeout() {
    let server = start(
        Echo,
        config()
            .header_read_timeout(Duration::from_millis(300))
            .idle_timeout(Duration::from_secs(30)),
    )
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (res, waited) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 200"), "{res:?}");
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_is_bound_by_the_idle_timeout_not_the_header_timeout() {
    let server = start(
        Echo,
        config()
            .header_read_timeout(Duration::from_millis(200))
            .idle_timeout(Duration::from_millis(1500)),
    )
    .await;
    let (mut h2, closed) = h2_connect::<Full<Bytes>>(server.addr).await;
    let get = |h2: &mut http2::SendRequest<Full<Bytes>>| {
        h2.send_request(http::Request::get("/").body(Full::default()).unwrap())
    };
    h2.ready().await.unwrap();
    assert_eq!(get(&mut h2).await.unwrap().status(), StatusCode::OK);
    // Four header timeouts later the connection still serves.
    tokio::time::sleep(Duration::from_millis(800)).await;
    h2.ready().await.unwrap();
    assert_eq!(get(&mut h2).await.unwrap().status(), StatusCode::OK);
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .ok();
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_timeout_on_http2_is_a_408_and_others_keep_going() {
    let server = start(Echo, config().body_read_timeout(Duration::from_millis(300))).await;
    let (mut h2, _closed) = h2_connect(server.addr).await;
    // A body stream that sends one chunk, then nothing.
    let (mut tx, body) = futures_channel_body();
    tx.send(Bytes::from_static(b"ab"));
    h2.ready().await.unwrap();
    let stalled = h2.send_request(
        http::Request::post("/echo")
            .header("content-length", "10")
            .body(body)
            .unwrap(),
    );
    let res = tokio::time::timeout(Duration::from_secs(5), stalled)
        .await
        .expect("answered within 5 s")
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(
        res.headers().get("connection").is_none(),
        "HTTP/2 forbids it"
    );
    drop(tx);
    // The connection still serves other streams.
    let (mut h2b, _c) = h2_connect::<Full<Bytes>>(server.addr).await;
    h2b.ready().await.unwrap();
    let ok = h2b
        .send_request(http::Request::get("/").body(Full::default()).unwrap())
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let got = once(server.addr, post("/echo", "text/plain", "fine")).await;
    assert_eq!(got.body, "fine");
    server.stop().await;
}

type Chunks =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;

/// A request body fed chunk by chunk from the test (a channel).
fn futures_channel_body() -> (Feeder, StreamBody<Chunks>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok(Frame::data(b)), rx))
    });
    (Feeder(tx), StreamBody::new(Box::pin(chunks)))
}

struct Feeder(tokio::sync::mpsc::UnboundedSender<Bytes>);

impl Feeder {
    fn send(&mut self, b: Bytes) {
        self.0.send(b).unwrap();
    }
}
