//! Memory stays flat however large an upload is: a multipart file streamed
//! over a real socket into a temporary file raises the process's peak RSS
//! (`VmHWM` in `/proc/self/status`) by a few MiB at most.
//!
//! Its own test binary, so that no other test allocates while it measures.
//! The 64 MiB case runs by default; the 1 GiB one is ignored (it writes
//! 1 GiB to the temporary directory and takes a few seconds):
//!
//! ```sh
//! cargo test -p kiln-tests --test multipart_memory -- --ignored --nocapture
//! ```

mod support;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Frame;
use kiln::ServeConfig;
use kiln::multipart::{Multipart, MultipartConfig};
use kiln::prelude::*;
use support::{send_body, start};

#[handler]
async fn store(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
    let mut form = form.with_config(rules);
    let mut total = 0;
    while let Some(field) = form.next_field().await? {
        total += field.save_temp().await?.len();
    }
    Ok(total.to_string())
}

chain! {
    struct Store;
    singletons { rules: MultipartConfig }
    routes { POST "/store" => store }
}

const BOUNDARY: &str = "rss-boundary";
const CHUNK: usize = 64 * 1024;

/// A multipart body with one file of `len` bytes, generated chunk by chunk
/// from one shared buffer: the client holds no more than 64 KiB either.
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
            chunk: Bytes::from(vec![0xA5; CHUNK]),
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
            let n = usize::try_from(self.left.min(CHUNK as u64)).unwrap();
            self.left -= n as u64;
            return Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))));
        }
        Poll::Ready(self.tail.take().map(|t| Ok(Frame::data(t))))
    }
}

/// `VmHWM` (peak resident set) and `VmRSS`, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn upload(addr: std::net::SocketAddr, len: u64) {
    let req = http::Request::post("/store")
        .header("host", "test")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Generated::new(len))
        .unwrap();
    let got = send_body(addr, req).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body, len.to_string());
}

/// Uploads `len` bytes after a warm-up upload and returns how much the peak
/// RSS rose, in KiB.
async fn peak_rise(len: u64) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let rules = MultipartConfig::new()
        .temp_dir(tmp.path())
        .limit_for("file", u64::MAX);
    let config = ServeConfig::default()
        .body_limit(usize::MAX)
        .drain_timeout(Duration::from_secs(2));
    let server = start(Store::new(StoreSingletons { rules }), config).await;
    // Warm-up: threads, buffers and the allocator's pools exist before measuring.
    upload(server.addr, 16 << 20).await;
    let (hwm_before, rss_before) = memory();
    upload(server.addr, len).await;
    let (hwm_after, rss_after) = memory();
    server.stop().await;
    let rise = hwm_after.saturating_sub(hwm_before);
    println!(
        "{} MiB upload: VmHWM {hwm_before} -> {hwm_after} KiB (+{rise} KiB), VmRSS {rss_before} -> {rss_after} KiB",
        len >> 20
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    rise
}

/// "A few MiB": the bound the issue sets, with room for a 2 MiB stack page
/// set or two of the blocking pool's threads.
const BOUND_KIB: u64 = 8 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_upload_keeps_memory_flat() {
    let rise = peak_rise(64 << 20).await;
    assert!(rise < BOUND_KIB, "peak RSS rose by {rise} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes 1 GiB to the temporary directory; run with --ignored"]
async fn a_1_gib_upload_keeps_memory_flat() {
    let rise = peak_rise(1 << 30).await;
    assert!(rise < BOUND_KIB, "peak RSS rose by {rise} KiB");
}
