//! HTTP/2 abuse against `kiln::serve` on loopback, with raw frames: rapid
//! reset (CVE-2023-44487), a CONTINUATION flood, SETTINGS and PING floods,
//! an HPACK header bomb, a stream that never sends its body, and more
//! concurrent streams than allowed. After each, a well-behaved client on
//! another connection must still be served at once, and the process's
//! resident memory must not have grown by more than a bound.
//!
//! The same cases driven by a real client library (Python's `h2`), against
//! a server whose memory is sampled while they run, are the ignored
//! `battery` test: `cargo test -p kiln-tests --test h2_abuse -- --ignored`
//! (installs the Debian package `python3-h2` if it is missing).

#[path = "../support/mod.rs"]
mod support;

mod battery;
mod frames;

use std::time::{Duration, Instant};

use frames::{
    CANCEL, CONTINUATION, Client, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING,
    REFUSED_STREAM, RST_STREAM, SETTINGS, frame, indexed, indexed_literal, literal, request,
    served,
};
use kiln::{App, Conn, FromRequest, IntoResponse, PathParams, Request, RequestCx, Response};

/// `/` answers at once, `/echo` reads the body, `/slow` takes 300 ms.
pub(crate) struct Target;

impl App for Target {
    async fn handle(&self, mut req: Request, conn: &mut Conn) -> Response {
        match req.uri().path() {
            "/echo" => {
                let cx = RequestCx::new(conn.info(), &PathParams::EMPTY, None);
                bytes::Bytes::from_request(&mut req, &cx)
                    .await
                    .into_response()
            }
            "/slow" => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "slow".into_response()
            }
            _ => "hello".into_response(),
        }
    }
}

/// The server's limits in these tests: the defaults, but 4 streams per
/// connection and a short body timeout, so the cases finish quickly.
pub(crate) fn config() -> kiln::ServeConfig {
    kiln::ServeConfig::default()
        .drain_timeout(Duration::from_secs(1))
        .http2_max_concurrent_streams(4)
        .body_read_timeout(Duration::from_millis(300))
}

/// Resident memory of this process (the server and the test), in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `abuse` against a fresh server, then checks that a well-behaved
/// client is served within 2 s and memory grew by less than `max_growth_kib`.
async fn survives<F, Fut>(name: &str, max_growth_kib: u64, abuse: F)
where
    F: FnOnce(std::net::SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // One case at a time: memory is measured for the whole process.
    let _alone = ALONE.lock().await;
    let server = support::start(Target, config()).await;
    let before = rss_kib();
    let started = Instant::now();
    abuse(server.addr).await;
    let took = started.elapsed();
    let grew = rss_kib().saturating_sub(before);
    assert!(
        served(server.addr, Duration::from_secs(2)).await,
        "{name}: a well-behaved client was not served afterwards"
    );
    eprintln!("{name}: abuse ran {took:?}, RSS grew {grew} KiB");
    assert!(grew < max_growth_kib, "{name}: RSS grew {grew} KiB");
    server.stop().await;
}

/// Whether the server ends the connection (a `GOAWAY`, or a close) within `wait`.
async fn goaway_code(c: &mut Client, wait: Duration) -> Option<Option<u32>> {
    let deadline = Instant::now() + wait;
    while let Some(f) = c
        .next(deadline.saturating_duration_since(Instant::now()))
        .await
    {
        if f.kind == GOAWAY {
            return Some(f.error_code());
        }
    }
    if Instant::now() < deadline {
        Some(None) // closed without GOAWAY
    } else {
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_is_cut_off() {
    survives("rapid reset", 64 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        let block = request("GET", "/slow");
        let mut burst = Vec::new();
        let mut sent = 0u32;
        for i in 0..5_000u32 {
            let id = 2 * i + 1;
            burst.extend(frame(HEADERS, END_HEADERS | END_STREAM, id, &block));
            burst.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
            if burst.len() > 64 * 1024 {
                if !c.send(&burst).await {
                    break;
                }
                sent = i;
                burst.clear();
            }
        }
        c.send(&burst).await;
        let code = goaway_code(&mut c, Duration::from_secs(3)).await;
        eprintln!("rapid reset: {sent} pairs written, then {code:?}");
        assert_eq!(
            code,
            Some(Some(0xb)),
            "GOAWAY ENHANCE_YOUR_CALM after too many resets"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_flood_is_cut_off() {
    survives("CONTINUATION flood", 64 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        let start = request("GET", "/");
        c.send(&frame(HEADERS, END_STREAM, 1, &start)).await;
        let mut junk = Vec::new();
        literal(&mut junk, "x-junk", &[b'a'; 4000]);
        let one = frame(CONTINUATION, 0, 1, &junk);
        let mut written = 0usize;
        // 64 MiB of header block, never ended, unless the server stops it.
        for _ in 0..16_000 {
            if !c.send(&one).await {
                break;
            }
            written += one.len();
        }
        let code = goaway_code(&mut c, Duration::from_secs(3)).await;
        eprintln!("CONTINUATION flood: {written} bytes written, then {code:?}");
        // Socket buffers take a few MiB; the server stops long before 64 MiB.
        assert!(
            written < 32 << 20,
            "the server read {written} bytes of one header block"
        );
        assert!(code.is_some(), "the connection is ended");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hpack_bomb_is_refused() {
    survives("HPACK bomb", 64 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        // One 4000-byte header enters the dynamic table, then 2000 one-byte
        // references to it: 8 MB of headers decoded from 6 KB.
        let mut block = request("GET", "/");
        indexed_literal(&mut block, "x-bomb", &[b'b'; 4000]);
        for _ in 0..2_000 {
            indexed(&mut block, 62);
        }
        c.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
            .await;
        let answer = c
            .until(Duration::from_secs(3), |f| {
                f.kind == GOAWAY || (f.stream == 1 && (f.kind == HEADERS || f.kind == RST_STREAM))
            })
            .await;
        eprintln!("HPACK bomb: {answer:?}");
        let answer = answer.expect("the server answers the bomb");
        assert!(
            answer.kind != HEADERS || answer.status_is(431),
            "refused, not served: {answer:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_ping_floods_do_not_grow_memory() {
    survives("SETTINGS + PING flood", 64 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        let settings = frame(SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100]); // MAX_CONCURRENT_STREAMS
        let ping = frame(PING, 0, 0, &[7; 8]);
        let mut batch = Vec::new();
        for _ in 0..500 {
            batch.extend(&settings);
            batch.extend(&ping);
        }
        let mut sent = 0usize;
        let mut acks = 0usize;
        for _ in 0..200 {
            if !c.send(&batch).await {
                break;
            }
            sent += 1000;
            // The test keeps no frames: what grows is the server's.
            acks += c.drain();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        acks += c.drain();
        eprintln!("SETTINGS + PING flood: {acks} ACKs and pongs received");
        let code = goaway_code(&mut c, Duration::from_millis(500)).await;
        eprintln!("SETTINGS + PING flood: {sent} frames written, then {code:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_never_sends_its_body_times_out_alone() {
    survives("stalled body", 16 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        let mut block = request("POST", "/echo");
        literal(&mut block, "content-length", b"100");
        c.send(&frame(HEADERS, END_HEADERS, 1, &block)).await;
        c.send(&frame(DATA, 0, 1, b"ab")).await;
        // Another stream on the same connection is served meanwhile.
        c.send(&frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            3,
            &request("GET", "/"),
        ))
        .await;
        let other = c.until(Duration::from_secs(2), |f| {
            f.kind == HEADERS && f.stream == 3
        });
        assert!(other.await.is_some_and(|f| f.status_is(200)));
        let started = Instant::now();
        let stalled = c
            .until(Duration::from_secs(3), |f| {
                f.kind == HEADERS && f.stream == 1
            })
            .await
            .expect("the stalled stream is answered");
        assert!(stalled.status_is(408), "{stalled:?}");
        eprintln!("stalled body: 408 after {:?}", started.elapsed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_the_limit_are_refused() {
    survives("too many streams", 16 * 1024, |addr| async move {
        let mut c = Client::connect(addr).await;
        let block = request("GET", "/slow");
        // Ten streams at once; the limit is 4.
        for i in 0..10u32 {
            c.send(&frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, &block))
                .await;
        }
        let mut ok = 0;
        let mut refused = 0;
        let deadline = Instant::now() + Duration::from_secs(3);
        while ok + refused < 10 {
            let Some(f) = c
                .next(deadline.saturating_duration_since(Instant::now()))
                .await
            else {
                break;
            };
            if f.kind == HEADERS && f.status_is(200) {
                ok += 1;
            } else if f.kind == RST_STREAM && f.error_code() == Some(REFUSED_STREAM) {
                refused += 1;
            }
        }
        eprintln!("too many streams: {ok} served, {refused} refused");
        assert_eq!(ok, 4, "the first 4 are served");
        assert_eq!(refused, 6, "the rest are refused (REFUSED_STREAM)");
    })
    .await;
}
