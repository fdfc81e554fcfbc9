//! Allocations per request over a real socket: kiln's hello route against
//! bare hyper answering the same bytes, with the same allocation-free client;
//! and the memory an idle kept-alive connection holds.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use kiln::http::{HeaderValue, header};
use kiln::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Counts allocations (`kiln_tests::Counting`, shared by the allocation tests).
#[global_allocator]
static GLOBAL: kiln_tests::Counting = kiln_tests::Counting;

#[handler]
fn hello() -> &'static str {
    "hello"
}

chain! {
    struct Hello;
    routes { GET "/" => hello }
}

async fn kiln_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        kiln::serve(Hello::new())
            .with_shutdown(std::future::pending())
            .listen(listener),
    );
    addr
}

/// How bare hyper serves a connection.
#[derive(Clone, Copy, PartialEq)]
enum Hyper {
    /// `http1::Builder`.
    Http1,
    /// `http1::Builder` with its header-read timer on.
    Timed,
    /// hyper-util's `auto::Builder` (HTTP/1 and h2c told apart by reading the preface).
    Auto,
}

/// hyper alone: a `service_fn` answering the same status, header and body.
async fn hyper_server(how: Hyper) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    let mut res = http::Response::new(Full::new(Bytes::from_static(b"hello")));
                    res.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    );
                    Ok::<_, Infallible>(res)
                });
                if how == Hyper::Auto {
                    let auto = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    );
                    let conn = auto.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    conn.await.ok();
                    return;
                }
                let mut builder = http1::Builder::new();
                if how == Hyper::Timed {
                    builder
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10));
                }
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                    .ok();
            });
        }
    });
    addr
}

/// Sends `GET /` on one kept-alive connection `n` times and returns the
/// fewest allocations any one request-response took.
async fn min_allocations(addr: SocketAddr, warm_up: usize, n: usize) -> usize {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = [0u8; 1024];
    let mut min = usize::MAX;
    for i in 0..warm_up + n {
        let before = kiln_tests::process_total();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n")
            .await
            .unwrap();
        let mut len = 0;
        while !buf[..len].ends_with(b"\r\n\r\nhello") {
            let read = stream.read(&mut buf[len..]).await.unwrap();
            assert!(read > 0, "server closed the connection");
            len += read;
        }
        let used = kiln_tests::process_total() - before;
        if i >= warm_up {
            min = min.min(used);
        }
    }
    min
}

/// The tests count the whole process's allocations: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_allocates_what_bare_hyper_does() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let hyper = min_allocations(hyper_server(Hyper::Http1).await, 50, 200).await;
    let timed = min_allocations(hyper_server(Hyper::Timed).await, 50, 200).await;
    let kiln = min_allocations(kiln_server().await, 50, 200).await;
    println!(
        "allocations per request over a socket: kiln {kiln}, bare hyper {hyper}, \
         hyper with its header-read timer {timed}"
    );
    // kiln bounds heads with its connections' idle watch instead of hyper's
    // header timer (one allocation per request, `timed`), so serving, header
    // timeout included, adds nothing to bare hyper.
    assert!(kiln <= hyper, "kiln {kiln} > bare hyper {hyper}");
    assert!(timed > hyper, "hyper's header timer {timed} costs nothing?");
}

/// Sends `GET /` and reads the response.
async fn roundtrip(stream: &mut TcpStream) {
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let mut len = 0;
    while !buf[..len].ends_with(b"\r\n\r\nhello") {
        let read = stream.read(&mut buf[len..]).await.unwrap();
        assert!(read > 0, "server closed the connection");
        len += read;
    }
}

/// Bytes the process holds per idle kept-alive connection (server and
/// client side) after two requests on each of 64 connections.
async fn bytes_per_connection(addr: SocketAddr) -> isize {
    const N: isize = 64;
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        roundtrip(&mut s).await;
        open.push(s);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = kiln_tests::live_bytes();
    for _ in 0..N {
        let mut s = TcpStream::connect(addr).await.unwrap();
        roundtrip(&mut s).await;
        roundtrip(&mut s).await;
        open.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    (kiln_tests::live_bytes() - before) / N
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_idle_http1_connection_holds_what_hyper_util_auto_does() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let http1 = bytes_per_connection(hyper_server(Hyper::Http1).await).await;
    let auto = bytes_per_connection(hyper_server(Hyper::Auto).await).await;
    let kiln = bytes_per_connection(kiln_server().await).await;
    println!(
        "bytes held per idle connection: kiln {kiln}, bare hyper http1 {http1}, \
         hyper-util auto {auto}"
    );
    // hyper-util's auto builder (HTTP/1 and h2c) hands the preface it read
    // back to hyper through a rewind buffer, and hyper's first read then
    // reserves its 8 KiB read buffer a second time.
    assert!(auto - http1 >= 8192, "auto {auto}, http1 {http1}");
    // What kiln holds besides: its connection state, the idle watch, and the
    // response header map hyper keeps for reuse (kiln sizes it for 16 headers).
    assert!(
        kiln - auto <= 4608,
        "kiln {kiln} holds more than 4.5 KiB over hyper-util auto's {auto}"
    );
}
