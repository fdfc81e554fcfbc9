//! Soak: a kiln server with the public middleware stack under steady mixed
//! load for minutes, its resident memory sampled every 10 s.
//!
//! `soak [--minutes N | --seconds N] [--connections N]` (default 10 minutes,
//! 16 connections). Exits non-zero if any response is not 2xx (or a
//! connection fails), or if the server's RSS grows by more than 10% after the
//! warm-up (a fifth of the run, between 10 s and 60 s): the first sample at or
//! after the warm-up is the baseline, every later sample must stay within
//! 110% of it.
//!
//! The binary is both sides: it starts itself as the server (`soak --serve`,
//! a child process, so the RSS read from `/proc/<pid>/status` is the
//! server's alone) and drives it from an in-process HTTP/1.1 client (hyper)
//! over keep-alive connections that are re-opened every 100 requests, so no
//! external load generator is needed. The routes mix public, JSON, path
//! and query parameters, a JSON body, a 64 KiB body and a JWT-protected route,
//! behind CORS, request ids, the access log, security headers, the rate
//! limiter (a quota no run reaches), the timeout and panic catching.
//!
//! `cargo run --release -p kiln-http-suite --bin soak -- --minutes 10`; CI runs
//! `--minutes 1` (see `.ci/run`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kiln::builtin::{
    AccessLog, Algorithm, CatchPanic, Cors, JwtAuth, JwtClaims, JwtKey, Quota, RateLimit,
    RequestIds, SecurityHeaders, Timeout,
};
use kiln::prelude::*;
use serde::{Deserialize, Serialize};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SECRET: &[u8] = b"kiln-soak-secret-do-not-use-in-production";
const ORIGIN: &str = "http://localhost:3000";
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const REQUESTS_PER_CONNECTION: usize = 100;
/// The `/big` body: 64 KiB.
static BIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "kiln soak ".repeat(6554));

// ------------------------------------------------------------------ server

#[handler]
fn hello() -> &'static str {
    "Hello, World!"
}

#[derive(Serialize, Deserialize)]
struct Message {
    message: String,
    n: u64,
}

#[handler]
fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!".into(),
        n: 1,
    })
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn user(Path(id): Path<u64>) -> String {
    format!("user {id}")
}

#[derive(Deserialize)]
struct Search {
    q: String,
    page: Option<u32>,
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn search(Query(s): Query<Search>) -> String {
    format!("{} page {}", s.q, s.page.unwrap_or(1))
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn echo(Json(m): Json<Message>) -> Json<Message> {
    Json(Message {
        message: m.message,
        n: m.n + 1,
    })
}

#[handler]
fn big() -> &'static str {
    BIG.as_str()
}

#[handler]
fn protected(claims: &JwtClaims) -> String {
    format!("hello {}", claims.sub.as_deref().unwrap_or("?"))
}

chain! {
    /// The soak app: the public stack around mixed routes.
    struct Soak;
    singletons {
        cors: Cors,
        ids: RequestIds,
        log: AccessLog,
        security: SecurityHeaders,
        limit: RateLimit,
        timeout: Timeout,
        catch: CatchPanic,
        jwt: JwtAuth,
    }
    middleware {
        kiln::builtin::Cors,
        kiln::builtin::RequestIds,
        kiln::builtin::AccessLog,
        kiln::builtin::CatchPanic,
        kiln::builtin::SecurityHeaders,
        kiln::builtin::RateLimit,
        kiln::builtin::Timeout,
    }
    routes {
        GET "/" => hello,
        GET "/json" => json,
        GET "/users/{id}" => user,
        GET "/search" => search,
        POST "/echo" => echo,
        GET "/big" => big,
        GET "/protected" => protected with [kiln::builtin::JwtAuth],
    }
}

fn jwt() -> JwtAuth {
    JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET))
        .token_lifetime(Duration::from_hours(24))
        .build()
        .expect("JWT config")
}

fn app() -> Soak {
    Soak::new(SoakSingletons {
        cors: Cors::builder()
            .allow_origin(ORIGIN)
            .build()
            .expect("CORS config"),
        ids: RequestIds::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
        // One cell per nanosecond and a burst no run reaches: never a 429.
        limit: RateLimit::builder()
            .quota(Quota::with_period(Duration::from_nanos(1)).burst(u32::MAX))
            .build()
            .expect("rate limit config"),
        timeout: Timeout::new(Duration::from_secs(10)).expect("timeout config"),
        catch: CatchPanic::new(),
        jwt: jwt(),
    })
}

/// `soak --serve`: serve on 127.0.0.1 (port printed on stdout) until stdin closes.
fn serve() -> ExitCode {
    kiln_http_suite::server::init_kiln_access_log();
    let Ok(rt) = kiln_http_suite::server::tokio_runtime(1) else {
        eprintln!("soak server: no runtime");
        return ExitCode::FAILURE;
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The parent closes our stdin to stop us (a graceful shutdown).
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = stop.send(());
    });
    let served = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        tokio::spawn(
            kiln::serve(app())
                .with_shutdown(async {
                    stopped.await.ok();
                })
                .listen(listener),
        )
        .await
        .map_err(std::io::Error::other)?
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak server: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------ client

struct Args {
    duration: Duration,
    connections: usize,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        duration: Duration::from_mins(10),
        connections: 16,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || -> Result<u64, String> {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value"))?
                .parse()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match flag.as_str() {
            "--minutes" => out.duration = Duration::from_mins(value()?),
            "--seconds" => out.duration = Duration::from_secs(value()?),
            "--connections" => {
                out.connections = usize::try_from(value()?).map_err(|e| e.to_string())?;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if out.duration.is_zero() || out.connections == 0 {
        return Err("the duration and --connections must be above zero".into());
    }
    Ok(out)
}

/// The routes of the mix, in turn.
const ROUTES: [&str; 8] = [
    "/",
    "/json",
    "/users/{id}",
    "/search",
    "/echo",
    "/big",
    "/protected",
    "/ (CORS)",
];

/// Counts per route, and the first failures.
#[derive(Default)]
struct Tally {
    per_route: [AtomicU64; ROUTES.len()],
    bytes: AtomicU64,
    failures: Mutex<Vec<String>>,
    failed: AtomicU64,
}

impl Tally {
    fn total(&self) -> u64 {
        self.per_route
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    fn fail(&self, what: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut f = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if f.len() < 20 {
            f.push(what);
        }
    }
}

fn request(i: u64, token: &str) -> (usize, http::Request<Full<Bytes>>) {
    let route = usize::try_from(i % ROUTES.len() as u64).unwrap_or(0);
    let b = http::Request::builder().header("host", "soak");
    let req = match route {
        0 => b.uri("/").body(Full::default()),
        1 => b.uri("/json").body(Full::default()),
        2 => b.uri(format!("/users/{i}")).body(Full::default()),
        3 => b
            .uri(format!("/search?q=kiln+{i}&page=2"))
            .body(Full::default()),
        4 => b
            .method("POST")
            .uri("/echo")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(format!(
                r#"{{"message":"soak {i}","n":{i}}}"#
            )))),
        5 => b.uri("/big").body(Full::default()),
        6 => b
            .uri("/protected")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::default()),
        _ => b
            .uri("/")
            .header("origin", ORIGIN)
            .header("x-request-id", format!("soak-{i}"))
            .body(Full::default()),
    };
    (route, req.expect("a valid request"))
}

/// One client connection after another until `deadline`.
async fn client(
    addr: SocketAddr,
    deadline: Instant,
    start: u64,
    token: Arc<str>,
    tally: Arc<Tally>,
) {
    let mut i = start;
    while Instant::now() < deadline {
        let stream = match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => {
                tally.fail(format!("connect: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            tally.fail("handshake failed".into());
            continue;
        };
        tokio::spawn(async move {
            conn.await.ok();
        });
        for _ in 0..REQUESTS_PER_CONNECTION {
            if Instant::now() >= deadline {
                return;
            }
            let (route, req) = request(i, &token);
            i += 1;
            let exchange = async {
                sender.ready().await?;
                let res = sender.send_request(req).await?;
                let status = res.status();
                let body = res.into_body().collect().await?.to_bytes();
                Ok::<_, hyper::Error>((status, body.len()))
            };
            match exchange.await {
                Ok((status, len)) if status.is_success() => {
                    tally.per_route[route].fetch_add(1, Ordering::Relaxed);
                    tally.bytes.fetch_add(len as u64, Ordering::Relaxed);
                }
                Ok((status, _)) => tally.fail(format!("{} → {status}", ROUTES[route])),
                Err(e) => {
                    tally.fail(format!("{}: {e}", ROUTES[route]));
                    break;
                }
            }
        }
    }
}

/// Resident memory of a process in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn spawn_server() -> Result<(Child, SocketAddr), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let stdout = child.stdout.take().ok_or("no server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("the server said {line:?}"))?;
    Ok((child, addr))
}

/// The verdict on the RSS samples: `Some(problem)` when a sample after the
/// baseline (the first at or after the warm-up) is above 110% of it.
#[allow(clippy::cast_precision_loss)] // KiB as a percentage
fn judge_rss(samples: &[(Duration, u64)], warm_up: Duration) -> Option<String> {
    let Some(b) = samples
        .iter()
        .position(|&(at, _)| at >= warm_up)
        .filter(|&b| b + 1 < samples.len())
    else {
        println!(
            "soak: too short to judge RSS growth (needs two samples after a {warm_up:?} warm-up)"
        );
        return None;
    };
    let (at, base) = samples[b];
    let (peak_at, peak) = samples[b..]
        .iter()
        .copied()
        .max_by_key(|&(_, r)| r)
        .unwrap_or((at, base));
    let growth = (peak as f64 / base as f64 - 1.0) * 100.0;
    println!(
        "soak: RSS baseline {base} KiB at {}s, peak after it {peak} KiB at {}s ({growth:+.1}%, limit +10%)",
        at.as_secs(),
        peak_at.as_secs()
    );
    (peak * 10 > base * 11)
        .then(|| format!("RSS grew {growth:.1}% after the warm-up ({base} → {peak} KiB)"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve();
    }
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            eprintln!("usage: soak [--minutes N | --seconds N] [--connections N]");
            return ExitCode::from(64);
        }
    };
    match soak(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts and KiB printed as rates and percentages
fn soak(args: &Args) -> Result<(), String> {
    let (mut server, addr) = spawn_server()?;
    let pid = server.id();
    let token: Arc<str> = jwt()
        .issue(&serde_json::json!({ "sub": "soak" }))
        .map_err(|e| e.to_string())?
        .into();
    let warm_up = (args.duration / 5).clamp(Duration::from_secs(10), Duration::from_mins(1));
    println!(
        "soak: {:?} against {addr} (server pid {pid}), {} connections, RSS every {SAMPLE_EVERY:?}, warm-up {warm_up:?}",
        args.duration, args.connections
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + args.duration;
    let clients: Vec<_> = (0..args.connections as u64)
        .map(|c| {
            rt.spawn(client(
                addr,
                deadline,
                c * 1_000_000_007,
                Arc::clone(&token),
                Arc::clone(&tally),
            ))
        })
        .collect();

    let mut samples: Vec<(Duration, u64)> = Vec::new();
    let mut last_total = 0;
    let mut next = started + SAMPLE_EVERY;
    while next <= deadline {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let at = started.elapsed();
        let rss = rss_kib(pid).ok_or("the server is gone")?;
        let total = tally.total();
        println!(
            "t={:>4}s  rss={rss:>7} KiB  requests={total:>9}  ({:.0} req/s)  failures={}",
            at.as_secs(),
            (total - last_total) as f64 / SAMPLE_EVERY.as_secs_f64(),
            tally.failed.load(Ordering::Relaxed)
        );
        last_total = total;
        samples.push((at, rss));
        next += SAMPLE_EVERY;
    }
    rt.block_on(async {
        for c in clients {
            c.await.ok();
        }
    });
    drop(server.stdin.take());
    let exited = server.wait().map_err(|e| e.to_string())?;

    let total = tally.total();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "soak: {total} requests in {secs:.0} s ({:.0} req/s, {:.1} MiB of bodies); server exit: {exited}",
        total as f64 / secs,
        tally.bytes.load(Ordering::Relaxed) as f64 / 1_048_576.0
    );
    for (route, count) in ROUTES.iter().zip(&tally.per_route) {
        println!("  {route:<14} {:>9}", count.load(Ordering::Relaxed));
    }
    let mut problems = Vec::new();
    let failed = tally.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = tally
            .failures
            .lock()
            .map(|f| f.join("\n    "))
            .unwrap_or_default();
        problems.push(format!(
            "{failed} responses not 2xx or failed; first:\n    {first}"
        ));
    }
    if total == 0 {
        problems.push("no request completed".into());
    }
    if !exited.success() {
        problems.push(format!("the server exited with {exited}"));
    }
    if let Some(p) = judge_rss(&samples, warm_up) {
        problems.push(p);
    }
    if problems.is_empty() {
        println!("soak: ok");
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
