//! `upload`: 100 MiB multipart uploads, one after another on fresh
//! connections; throughput in MB/s and the server's peak RSS.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper_util::rt::TokioIo;

const BOUNDARY: &str = "kiln-bench-boundary";
const CHUNK: usize = 64 * 1024;

/// A multipart body with one file of `len` bytes, generated chunk by chunk.
struct Generated {
    head: Option<Bytes>,
    chunk: Bytes,
    left: u64,
    tail: Option<Bytes>,
}

impl Generated {
    fn new(len: u64) -> Self {
        Generated {
            head: Some(Bytes::from(format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            ))),
            chunk: Bytes::from(vec![0x5A; CHUNK]),
            left: len,
            tail: Some(Bytes::from(format!("\r\n--{BOUNDARY}--\r\n"))),
        }
    }
}

impl hyper::body::Body for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if self.left > 0 {
            let n = usize::try_from(self.left.min(CHUNK as u64)).unwrap_or(CHUNK);
            self.left -= n as u64;
            return Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))));
        }
        Poll::Ready(self.tail.take().map(|t| Ok(Frame::data(t))))
    }
}

/// Sends one upload of `len` bytes and checks the server stored them all.
async fn one(addr: SocketAddr, len: u64) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = http::Request::post("/upload")
        .header("host", "bench")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Generated::new(len))
        .expect("request");
    let res = sender.send_request(req).await.expect("response");
    assert_eq!(res.status(), 200, "upload failed");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body, len.to_string(), "the server stored a different size");
}

/// `rounds` uploads of `len` bytes; returns MB/s (10^6 bytes per second).
#[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
pub(crate) async fn run(addr: SocketAddr, len: u64, rounds: u32) -> f64 {
    one(addr, 1 << 20).await; // warm-up
    let start = Instant::now();
    for _ in 0..rounds {
        one(addr, len).await;
    }
    (len * u64::from(rounds)) as f64 / 1e6 / start.elapsed().as_secs_f64()
}
