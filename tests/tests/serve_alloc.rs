//! Allocations per request over a real socket: kiln's hello route against
//! bare hyper answering the same bytes, with the same allocation-free client.

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

/// hyper alone: HTTP/1.1, a `service_fn` answering the same status, header
/// and body; with `header_timeout`, hyper's header-read timer on (as kiln has it).
async fn hyper_server(header_timeout: bool) -> SocketAddr {
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
                let mut builder = http1::Builder::new();
                if header_timeout {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_allocates_what_bare_hyper_does() {
    let hyper = min_allocations(hyper_server(false).await, 50, 200).await;
    let timed = min_allocations(hyper_server(true).await, 50, 200).await;
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
