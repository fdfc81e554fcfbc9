//! Stream scenarios of the HTTP suite: `upload` (100 MiB multipart uploads:
//! MB/s and the server's peak RSS), `sse` (events/s fanned out to 1,000
//! clients) and `ws` (echo messages/s at 100 connections, 20 B and 16 KiB),
//! kiln against axum.
//!
//! wrk cannot drive these (a streamed upload, long-lived streams, a
//! WebSocket), so the load generator is a Rust client in the `bench_streams`
//! binary, on a one-thread runtime pinned to CPU 1; each server runs as a
//! child process (the same binary, `serve <kiln|axum>`) on a one-worker
//! runtime pinned to CPU 0, as in the wrk scenarios. Server CPU time comes
//! from `/proc/<pid>/stat`, peak RSS from `/proc/<pid>/status`.
//! actix-web is not measured here: its WebSocket and multipart support live
//! in separate crates (actix-ws, actix-multipart) that the suite does not
//! carry yet.

mod kiln_app;
mod servers;
mod sse;
mod upload;
mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use super::procfs;

/// How long and how much to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Uploads of 100 MiB per server.
    pub upload_rounds: u32,
    /// Concurrent SSE clients.
    pub sse_clients: usize,
    /// WebSocket connections.
    pub ws_conns: usize,
    /// Seconds per SSE and WebSocket measurement.
    pub secs: u64,
}

impl Plan {
    /// The full run.
    pub const FULL: Plan = Plan {
        upload_rounds: 3,
        sse_clients: 1000,
        ws_conns: 100,
        secs: 5,
    };
    /// A short run that checks everything works.
    pub const QUICK: Plan = Plan {
        upload_rounds: 1,
        sse_clients: 1000,
        ws_conns: 100,
        secs: 1,
    };
}

/// One server's figures.
#[derive(Debug, Clone)]
pub struct Row {
    /// `kiln` or `axum`.
    pub server: &'static str,
    /// Upload throughput.
    pub upload_mb_s: f64,
    /// The server's peak RSS after the uploads (KiB).
    pub upload_peak_rss_kib: u64,
    /// The server's RSS before them (KiB).
    pub idle_rss_kib: u64,
    /// SSE events delivered per second, all clients together.
    pub sse_events_s: f64,
    /// Server CPU per delivered event (µs).
    pub sse_cpu_us: f64,
    /// Echoes per second, 20 B messages.
    pub ws_small_s: f64,
    /// Server CPU per 20 B echo (µs).
    pub ws_small_cpu_us: f64,
    /// Echoes per second, 16 KiB messages.
    pub ws_large_s: f64,
    /// Server CPU per 16 KiB echo (µs).
    pub ws_large_cpu_us: f64,
}

/// The child-process entry: `serve <kiln|axum> <addr> <temp dir>`.
///
/// # Panics
/// When the runtime cannot start, the address cannot be bound, or `which`
/// names no server.
pub fn serve(which: &str, addr: SocketAddr, temp: PathBuf) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        match which {
            "kiln" => servers::kiln(addr, temp).await,
            "axum" => servers::axum(addr, temp).await,
            other => panic!("unknown server {other}"),
        }
    });
}

fn pinned() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
        && Command::new("taskset").arg("--version").output().is_ok()
}

fn start(which: &str, port: u16, temp: &std::path::Path) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = if pinned() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(["serve", which, &format!("127.0.0.1:{port}")])
        .arg(temp)
        .spawn()
        .expect("start the server")
}

async fn wait_ready(addr: SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server on {addr} did not start");
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Server CPU µs spent while `f` ran, and its result.
async fn with_cpu<T>(pid: u32, f: impl std::future::Future<Output = T>) -> (T, u64) {
    let before = procfs::cpu_time_us(pid).unwrap_or(0);
    let out = f.await;
    let after = procfs::cpu_time_us(pid).unwrap_or(0);
    (out, after.saturating_sub(before))
}

/// Runs every stream scenario against kiln and axum.
///
/// # Panics
/// When a server does not start or answers wrongly (a benchmark of a broken
/// server measures nothing).
#[must_use]
#[allow(clippy::cast_precision_loss)] // CPU µs and seconds far below 2^52
pub fn run(plan: Plan) -> Vec<Row> {
    if pinned() {
        // The load generator on CPU 1, the servers on CPU 0.
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .output();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = Vec::new();
    for (i, which) in ["kiln", "axum"].into_iter().enumerate() {
        let temp = tempfile::tempdir().expect("temp dir");
        let port = 18_500 + u16::try_from(i).unwrap_or(0);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut child = start(which, port, temp.path());
        let pid = child.id();
        let row = rt.block_on(async {
            wait_ready(addr).await;
            eprintln!("bench_streams: {which}: upload");
            let idle_rss_kib = rss_kib(pid);
            let upload_mb_s = upload::run(addr, 100 << 20, plan.upload_rounds).await;
            let upload_peak_rss_kib = procfs::peak_rss_kib(pid).unwrap_or(0);
            eprintln!("bench_streams: {which}: sse, {} clients", plan.sse_clients);
            let (sse_events_s, sse_cpu) =
                with_cpu(pid, sse::run(addr, plan.sse_clients, plan.secs)).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            eprintln!("bench_streams: {which}: ws, {} connections", plan.ws_conns);
            let (ws_small_s, small_cpu) =
                with_cpu(pid, ws::run(addr, plan.ws_conns, 20, plan.secs)).await;
            let (ws_large_s, large_cpu) =
                with_cpu(pid, ws::run(addr, plan.ws_conns, 16 * 1024, plan.secs)).await;
            // CPU is measured over connect + warm-up + measurement; the
            // counts over the measurement only, so per-unit CPU is an upper bound.
            let per =
                |cpu: u64, rate: f64, extra: f64| cpu as f64 / (rate * (plan.secs as f64 + extra));
            Row {
                server: which,
                upload_mb_s,
                upload_peak_rss_kib,
                idle_rss_kib,
                sse_events_s,
                sse_cpu_us: per(sse_cpu, sse_events_s, 0.0),
                ws_small_s,
                ws_small_cpu_us: per(small_cpu, ws_small_s, 0.3),
                ws_large_s,
                ws_large_cpu_us: per(large_cpu, ws_large_s, 0.3),
            }
        });
        let _ = child.kill();
        let _ = child.wait();
        rows.push(row);
    }
    rows
}

/// The figures as a markdown table.
#[must_use]
#[allow(clippy::cast_precision_loss)] // KiB counts far below 2^52
pub fn table(rows: &[Row], plan: Plan) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "| server | upload MB/s | upload peak RSS (idle) | SSE events/s ({} clients) | CPU µs/event | ws 20 B msg/s ({} conns) | CPU µs/msg | ws 16 KiB msg/s | CPU µs/msg |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        plan.sse_clients, plan.ws_conns
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} MiB ({:.1} MiB) | {:.0} | {:.2} | {:.0} | {:.1} | {:.0} | {:.1} |",
            r.server,
            r.upload_mb_s,
            r.upload_peak_rss_kib as f64 / 1024.0,
            r.idle_rss_kib as f64 / 1024.0,
            r.sse_events_s,
            r.sse_cpu_us,
            r.ws_small_s,
            r.ws_small_cpu_us,
            r.ws_large_s,
            r.ws_large_cpu_us,
        );
    }
    out
}
