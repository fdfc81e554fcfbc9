//! Helpers shared by the `serve_*` tests: start a server on an ephemeral
//! port of 127.0.0.1, and talk to it over HTTP/1.1, HTTP/2 or raw bytes.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kiln::{App, ServeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running on its own task until [`Running::stop`].
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

/// Serves `app` on 127.0.0.1 port 0 with `config`.
pub(crate) async fn start<A: App>(app: A, config: ServeConfig) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(
        kiln::serve(app)
            .config(config)
            .with_shutdown(async {
                stopped.await.ok();
            })
            .listen(listener),
    );
    Running { addr, stop, task }
}

impl Running {
    /// Signals shutdown and returns the task, to await the end of the drain.
    pub(crate) fn shutdown(self) -> JoinHandle<io::Result<()>> {
        self.stop.send(()).ok();
        self.task
    }

    /// Signals shutdown and waits (at most 5 s) for the server to return.
    pub(crate) async fn stop(self) {
        let task = self.shutdown();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("server did not stop within 5 s")
            .unwrap()
            .unwrap();
    }
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Got {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    /// The body as received (for binary bodies).
    pub(crate) bytes: Bytes,
}

async fn read(res: http::Response<hyper::body::Incoming>) -> Got {
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Got {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

/// An HTTP/1.1 connection: requests sent through it share one TCP connection.
pub(crate) struct H1(http1::SendRequest<Full<Bytes>>);

impl H1 {
    pub(crate) async fn connect(addr: SocketAddr) -> H1 {
        let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
        let (sender, conn) = http1::handshake(io).await.unwrap();
        tokio::spawn(async move {
            conn.await.ok();
        });
        H1(sender)
    }

    pub(crate) async fn send(&mut self, req: Request<Full<Bytes>>) -> Got {
        self.0.ready().await.unwrap();
        read(self.0.send_request(req).await.unwrap()).await
    }

    /// Sends a request and returns the error if the connection fails.
    pub(crate) async fn try_send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<Got, hyper::Error> {
        self.0.ready().await?;
        Ok(read(self.0.send_request(req).await?).await)
    }

    pub(crate) async fn get(&mut self, path: &str) -> Got {
        self.send(get(path)).await
    }
}

/// An HTTP/2 connection with prior knowledge (h2c).
#[derive(Clone)]
pub(crate) struct H2(http2::SendRequest<Full<Bytes>>);

impl H2 {
    pub(crate) async fn connect(addr: SocketAddr) -> H2 {
        let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
        tokio::spawn(async move {
            conn.await.ok();
        });
        H2(sender)
    }

    pub(crate) async fn send(&mut self, req: Request<Full<Bytes>>) -> Got {
        self.0.ready().await.unwrap();
        read(self.0.send_request(req).await.unwrap()).await
    }
}

/// A `GET` with the `host` header HTTP/1.1 needs.
pub(crate) fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "test")
        .body(Full::default())
        .unwrap()
}

/// A `POST` with a content type and a body.
pub(crate) fn post(path: &str, content_type: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "test")
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap()
}

/// One request on a fresh connection.
pub(crate) async fn once(addr: SocketAddr, req: Request<Full<Bytes>>) -> Got {
    H1::connect(addr).await.send(req).await
}

/// Writes `bytes` on a fresh connection and reads until the server closes
/// it (at most 5 s), returning everything it sent.
pub(crate) async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_to_close(&mut stream).await
}

/// Reads until the peer closes (or resets) the connection, at most 5 s.
pub(crate) async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
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
        "server did not close the connection within 5 s"
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// The status line of a raw HTTP/1 response.
pub(crate) fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

/// A request body sent as the given chunks with no length known in advance
/// (HTTP/1.1 chunked encoding), so limits must trip while streaming.
pub(crate) struct Chunked(pub(crate) std::collections::VecDeque<Bytes>);

impl Chunked {
    pub(crate) fn new(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        Chunked(chunks.into_iter().collect())
    }
}

impl hyper::body::Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// Sends one request with a body of any type on a fresh HTTP/1.1 connection.
pub(crate) async fn send_body<B>(addr: SocketAddr, req: Request<B>) -> Got
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (mut sender, conn) = http1::handshake::<_, B>(io).await.unwrap();
    tokio::spawn(async move {
        conn.await.ok();
    });
    read(sender.send_request(req).await.unwrap()).await
}

/// The problem+json body of an error response (panics, showing the body,
/// when it is not one).
pub(crate) fn problem(res: &kiln::TestResponse) -> serde_json::Value {
    assert_eq!(
        res.header("content-type"),
        Some("application/problem+json"),
        "not problem+json: {}",
        res.text()
    );
    res.json()
}

/// [`problem`] for an answer read off a socket.
pub(crate) fn got_problem(got: &Got) -> serde_json::Value {
    assert_eq!(
        got.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "not problem+json: {}",
        got.body
    );
    serde_json::from_str(&got.body).unwrap()
}
