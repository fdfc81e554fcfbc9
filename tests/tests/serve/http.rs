//! The server over real sockets: keep-alive, HTTP/2, concurrency, limits,
//! timeouts, panics and graceful shutdown.

use super::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use kiln::http::StatusCode;
use kiln::{
    App, Conn, FromRequest, IntoResponse, PathParams, Request, RequestCx, Response, ServeConfig,
};
use support::{H1, H2, get, once, post, raw, start, status_line};
use tokio::net::TcpStream;

/// A hand-written app with one behaviour per path.
struct Probe;

impl App for Probe {
    async fn handle(&self, mut req: Request, conn: &mut Conn) -> Response {
        match req.uri().path() {
            // The client's port: equal on two requests means one connection.
            "/peer" => conn.info().peer.unwrap().port().to_string().into_response(),
            "/slow" => {
                let ms = req
                    .uri()
                    .query()
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(200);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "done".into_response()
            }
            "/panic" => panic!("handler bug"),
            "/echo" => {
                let cx = RequestCx::new(conn.info(), &PathParams::EMPTY, None);
                Bytes::from_request(&mut req, &cx).await.into_response()
            }
            "/arena" => {
                // Scratch memory from the connection's arena, reset after each request.
                let s = bumpalo::format!(in conn.arena(), "{} bytes in use", conn.arena().allocated_bytes());
                s.to_string().into_response()
            }
            _ => "hello".into_response(),
        }
    }
}

fn fast() -> ServeConfig {
    ServeConfig::default().drain_timeout(Duration::from_secs(2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_the_connection() {
    let server = start(Probe, fast()).await;
    let mut conn = H1::connect(server.addr).await;
    let first = conn.get("/peer").await;
    let second = conn.get("/peer").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(
        first.body, second.body,
        "both requests arrive on one connection"
    );
    // One arena per connection: empty on the first request, then its chunk is
    // kept (reset, not freed) and reused by every later request.
    let a = conn.get("/arena").await.body;
    let b = conn.get("/arena").await.body;
    let c = conn.get("/arena").await.body;
    assert_eq!(a, "0 bytes in use");
    assert_ne!(b, a);
    assert_eq!(b, c, "reset between requests, so it does not grow");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge() {
    let server = start(Probe, fast()).await;
    let h2 = H2::connect(server.addr).await;
    // Concurrent streams on one connection, each with its own `Conn`.
    let streams: Vec<_> = (0..10)
        .map(|_| {
            let mut h2 = h2.clone();
            tokio::spawn(async move { h2.send(get("/slow?50")).await })
        })
        .collect();
    for s in streams {
        let got = s.await.unwrap();
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body, "done");
    }
    let mut h2 = h2;
    let a = h2.send(get("/peer")).await.body;
    let b = h2.send(get("/peer")).await.body;
    assert_eq!(a, b);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests() {
    let server = start(Probe, fast()).await;
    let addr = server.addr;
    let started = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| tokio::spawn(async move { once(addr, get("/slow?100")).await }))
        .collect();
    for t in tasks {
        let got = t.await.unwrap();
        assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "done"));
    }
    // Served concurrently, not one after the other (50 x 100 ms).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_panic_is_a_500_and_the_connection_keeps_serving() {
    let server = start(Probe, fast()).await;
    let mut conn = H1::connect(server.addr).await;
    let before = conn.get("/peer").await.body;
    assert_eq!(
        conn.get("/panic").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let after = conn.get("/peer").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body, before, "same connection after the panic");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_line_is_a_400() {
    let server = start(Probe, fast()).await;
    let res = raw(server.addr, b"THIS IS NOT HTTP\r\n\r\n").await;
    assert!(status_line(&res).starts_with("HTTP/1.1 400"), "{res:?}");
    let res = raw(server.addr, b"GET /\0bad HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(status_line(&res).starts_with("HTTP/1.1 400"), "{res:?}");
    // The server is fine afterwards.
    assert_eq!(once(server.addr, get("/")).await.body, "hello");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_a_431() {
    let server = start(Probe, fast().max_header_size(8 * 1024)).await;
    let big = "a".repeat(10 * 1024);
    let req = format!("GET / HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
    let res = raw(server.addr, req.as_bytes()).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 431"), "{res:?}");
    // Just under the limit is fine.
    let ok = "a".repeat(7 * 1024);
    let req = format!("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-big: {ok}\r\n\r\n");
    let res = raw(server.addr, req.as_bytes()).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 200"), "{res:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_a_413() {
    let server = start(Probe, fast().body_limit(1024)).await;
    // Declared too large: answered before the body is read (none is sent here).
    let res = raw(
        server.addr,
        b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n",
    )
    .await;
    assert!(status_line(&res).starts_with("HTTP/1.1 413"), "{res:?}");
    // Chunked (no length): the raw stream stops at the limit.
    let chunk = "x".repeat(600);
    let req = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    let res = raw(server.addr, req.as_bytes()).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 413"), "{res:?}");
    // Within the limit it echoes.
    let got = once(server.addr, post("/echo", "text/plain", "small")).await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "small"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_client_hits_the_header_timeout() {
    let server = start(
        Probe,
        fast().header_read_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut slow, b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let res = support::read_to_close(&mut slow).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "closed too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(2),
        "closed too late: {waited:?}"
    );
    assert!(!res.contains("200 OK"), "{res:?}");
    // The server is fine afterwards.
    assert_eq!(once(server.addr, get("/")).await.body, "hello");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_requests_and_refuses_new_ones() {
    let server = start(Probe, fast()).await;
    let addr = server.addr;
    let mut conn = H1::connect(addr).await;
    let in_flight = tokio::spawn(async move { conn.get("/slow?600").await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stopped = server.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "new connections are refused once shutdown starts"
    );
    let got = in_flight.await.unwrap();
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "done"));
    tokio::time::timeout(Duration::from_secs(2), stopped)
        .await
        .expect("server stops once drained")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_is_bounded() {
    let server = start(Probe, fast().drain_timeout(Duration::from_millis(300))).await;
    let mut conn = H1::connect(server.addr).await;
    let in_flight = tokio::spawn(async move { conn.try_send(get("/slow?5000")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.shutdown().await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        in_flight.await.unwrap().is_err(),
        "the connection was dropped"
    );
}
