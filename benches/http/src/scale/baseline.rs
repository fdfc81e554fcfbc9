//! Baseline: startup time, RSS at idle and the latency of single requests
//! on an idle server.
//!
//! - **Startup** (`startups` launches): from just before the process is
//!   spawned (`taskset -c 0 server_*`) to the first `200` to `GET /`; the
//!   probe connects every 250 µs and sends the request as soon as a
//!   connection is accepted. Median and maximum over the launches.
//! - **Idle RSS**, on one more launch that nothing has connected to: `VmRSS`
//!   0.5 s after its port is listening (seen in `/proc/net/tcp`, without
//!   connecting), then 0.5 s after one request on a connection that was
//!   closed again.
//! - **Idle latency**, on that same server: `latency_requests` sequential
//!   `GET /` on one kept-alive connection with a pause of `pause_ms` after
//!   each response, so every request finds the server idle (its worker
//!   parked); each timed from writing the request to reading the whole
//!   response, after 10 untimed ones. Median, p99, mean and max.
//!
//! The probe runs on its own thread pinned to the load CPU.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::super::launch;
use super::super::procfs;
use super::super::scenario::{Request, Scenario};
use super::{Ctx, Launch, Section, Target};

/// Untimed requests before the idle-latency probe's timed ones.
pub const UNTIMED: u32 = 10;

/// How long the server is left alone before each idle RSS reading.
pub const SETTLE: Duration = Duration::from_millis(500);

/// A summary of latencies, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Mean.
    pub mean: f64,
    /// Slowest.
    pub max: f64,
}

impl Percentiles {
    /// The summary of `samples` (any order); all zero when empty.
    #[must_use]
    pub fn of(samples: &[f64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        #[allow(clippy::cast_precision_loss)] // a few thousand samples
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        Percentiles {
            count: v.len() as u64,
            p50: nearest_rank(&v, 50.0),
            p99: nearest_rank(&v, 99.0),
            mean,
            max: v[v.len() - 1],
        }
    }
}

/// The nearest-rank percentile `p` of sorted, non-empty `v`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)] // ranks of a few thousand samples
fn nearest_rank(v: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// The baseline of one server on one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Each launch's time from spawn to the first `200`, ms.
    pub startup_ms: Vec<f64>,
    /// `VmRSS` after start, before any connection, KiB.
    pub rss_started_kib: u64,
    /// `VmRSS` after one request (its connection closed), KiB.
    pub rss_one_request_kib: u64,
    /// The sequential requests with pauses: latency, µs.
    pub idle_latency_us: Percentiles,
    /// The pause after each response, ms.
    pub pause_ms: u32,
}

impl Baseline {
    /// Median startup time, ms.
    #[must_use]
    pub fn startup_median_ms(&self) -> f64 {
        super::super::stats::Spread::of(&self.startup_ms).map_or(0.0, |s| s.median)
    }

    /// Slowest startup, ms.
    #[must_use]
    pub fn startup_max_ms(&self) -> f64 {
        self.startup_ms.iter().copied().fold(0.0, f64::max)
    }
}

/// The request of `req` as HTTP/1.1 bytes (keep-alive).
#[must_use]
pub fn request_bytes(port: u16, req: &Request) -> Vec<u8> {
    let mut s = format!("GET {} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n", req.path);
    for (k, v) in &req.headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Whether `buf` holds a whole response: `Some((status, length))` with the
/// bytes it takes, `None` while incomplete. Bodies are framed by
/// `content-length` or chunked encoding (ended by the zero-size chunk,
/// without trailers).
///
/// # Errors
/// A malformed status line, or neither framing.
pub fn parse_response(buf: &[u8]) -> Result<Option<(u16, usize)>, String> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "non-UTF-8 head")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let body_start = head_end + 4;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            let len: usize = value
                .parse()
                .map_err(|_| format!("bad content-length {value:?}"))?;
            return Ok((buf.len() >= body_start + len).then_some((status, body_start + len)));
        }
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    if !chunked {
        return Err(format!("no content-length nor chunked body in {head:?}"));
    }
    let body = &buf[body_start..];
    let end = if body.starts_with(b"0\r\n\r\n") {
        Some(5)
    } else {
        body.windows(7)
            .position(|w| w == b"\r\n0\r\n\r\n")
            .map(|p| p + 7)
    };
    Ok(end.map(|e| (status, body_start + e)))
}

/// One kept-alive HTTP/1.1 connection sending the same request again and again.
#[derive(Debug)]
pub struct KeepAlive {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl KeepAlive {
    /// Connects to `127.0.0.1:port` (`TCP_NODELAY`, 5 s timeouts).
    ///
    /// # Errors
    /// When the connection fails.
    pub fn connect(port: u16, req: &Request) -> io::Result<KeepAlive> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        Ok(KeepAlive {
            stream,
            request: request_bytes(port, req),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends the request and reads the whole response; its status.
    ///
    /// # Errors
    /// On I/O errors, a closed connection or a malformed response.
    pub fn roundtrip(&mut self) -> io::Result<u16> {
        self.stream.write_all(&self.request)?;
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        loop {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed mid-response",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
            match parse_response(&self.buf) {
                Ok(Some((status, len))) if len == self.buf.len() => return Ok(status),
                Ok(Some(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "bytes after the response",
                    ));
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }
}

/// One request on a new connection; whether it was answered `200`.
fn answered_200(port: u16, req: &Request) -> bool {
    KeepAlive::connect(port, req)
        .and_then(|mut c| c.roundtrip())
        .is_ok_and(|s| s == 200)
}

/// Measures `t`'s baseline and records it (or the skip).
pub fn run(ctx: &mut Ctx<'_>, t: &Target) {
    let load_cpu = ctx.pin.load;
    // The probe on its own thread, pinned to the load CPU; servers are
    // started with `taskset` on theirs.
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(cpu) = load_cpu
                && let Err(e) = launch::pin_this_thread(cpu)
            {
                eprintln!("scale: warning: the latency probe is not pinned: {e}");
            }
            measure(ctx, t)
        })
        .join()
    });
    match outcome {
        Ok(Some(Ok(b))) => {
            eprintln!(
                "  {:<5} {:<10} startup {:>6.1} ms (max {:.1})  rss {} → {} KiB  idle p50 {:.0} µs p99 {:.0} µs",
                t.framework,
                t.scenario.name(),
                b.startup_median_ms(),
                b.startup_max_ms(),
                b.rss_started_kib,
                b.rss_one_request_kib,
                b.idle_latency_us.p50,
                b.idle_latency_us.p99,
            );
            ctx.results.baseline.push(b);
        }
        Ok(Some(Err(why))) => ctx.skip(t, Section::Baseline, "error", why),
        Ok(None) => {}
        Err(_) => ctx.skip(t, Section::Baseline, "error", "the probe panicked".into()),
    }
}

/// `None` when a server did not come up (already recorded as a skip).
fn measure(ctx: &mut Ctx<'_>, t: &Target) -> Option<Result<Baseline, String>> {
    let mut startup_ms = Vec::new();
    for _ in 0..ctx.opts.startups {
        let req = &t.request;
        let (server, took) = ctx.launch_until(
            t,
            Section::Baseline,
            Launch::PINNED,
            Duration::from_micros(250),
            |port| answered_200(port, req),
        )?;
        startup_ms.push(took.as_secs_f64() * 1e3);
        drop(server);
    }
    let (server, _) = ctx.launch_until(
        t,
        Section::Baseline,
        Launch::PINNED,
        Duration::from_millis(10),
        procfs::listening,
    )?;
    Some(idle(ctx, t, &server, startup_ms))
}

fn idle(
    ctx: &Ctx<'_>,
    t: &Target,
    server: &launch::Server,
    startup_ms: Vec<f64>,
) -> Result<Baseline, String> {
    let pid = server.pid();
    let gone = |e: io::Error| format!("server gone: {e}");
    std::thread::sleep(SETTLE);
    let rss_started_kib = procfs::rss_kib(pid).map_err(gone)?;
    let status = KeepAlive::connect(server.port, &t.request)
        .and_then(|mut c| c.roundtrip())
        .map_err(|e| format!("first request: {e}"))?;
    if status != 200 {
        return Err(format!("first request answered {status}"));
    }
    std::thread::sleep(SETTLE);
    let rss_one_request_kib = procfs::rss_kib(pid).map_err(gone)?;
    let mut conn =
        KeepAlive::connect(server.port, &t.request).map_err(|e| format!("connect: {e}"))?;
    let pause = Duration::from_millis(u64::from(ctx.opts.pause_ms));
    let mut samples = Vec::with_capacity(ctx.opts.latency_requests as usize);
    for n in 0..UNTIMED + ctx.opts.latency_requests {
        let t0 = Instant::now();
        let status = conn.roundtrip().map_err(|e| format!("request {n}: {e}"))?;
        let took = t0.elapsed();
        if status != 200 {
            return Err(format!("request {n} answered {status}"));
        }
        if n >= UNTIMED {
            samples.push(took.as_secs_f64() * 1e6);
        }
        std::thread::sleep(pause);
    }
    Ok(Baseline {
        framework: t.framework.clone(),
        scenario: t.scenario,
        startup_ms,
        rss_started_kib,
        rss_one_request_kib,
        idle_latency_us: Percentiles::of(&samples),
        pause_ms: ctx.opts.pause_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let p = Percentiles::of(&v);
        assert_eq!(p.count, 1000);
        assert!((p.p50 - 500.0).abs() < 1e-9 && (p.p99 - 990.0).abs() < 1e-9);
        assert!((p.mean - 500.5).abs() < 1e-9 && (p.max - 1000.0).abs() < 1e-9);
        let one = Percentiles::of(&[7.0]);
        assert!((one.p50 - 7.0).abs() < 1e-9 && (one.p99 - 7.0).abs() < 1e-9);
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
    }

    #[test]
    fn parses_framed_responses() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
        assert_eq!(parse_response(ok), Ok(Some((200, ok.len()))));
        assert_eq!(parse_response(&ok[..ok.len() - 1]), Ok(None));
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-le"), Ok(None));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Ok(Some((404, chunked.len()))));
        assert_eq!(parse_response(&chunked[..chunked.len() - 2]), Ok(None));
        let empty = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n";
        assert_eq!(parse_response(empty), Ok(Some((200, empty.len()))));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn requests_carry_the_case_headers() {
        let req = Request {
            name: "public".into(),
            path: "/".into(),
            headers: vec![("origin".into(), "http://localhost:3000".into())],
            body: None,
            expect: super::super::super::scenario::Expect {
                status: 200,
                body: None,
                headers: Vec::new(),
            },
        };
        assert_eq!(
            String::from_utf8(request_bytes(9, &req)).unwrap(),
            "GET / HTTP/1.1\r\nhost: 127.0.0.1:9\r\norigin: http://localhost:3000\r\n\r\n"
        );
    }
}
