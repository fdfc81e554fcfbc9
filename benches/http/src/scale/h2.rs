//! HTTP/2: `h2load` (nghttp2) with `h2_streams` concurrent streams on each
//! of `h2_connections` cleartext connections (prior knowledge, `h2c`), one
//! thread pinned to the load CPU, against a server started with `--h2c`
//! (one worker, pinned). First a short run that must answer every request
//! `2xx` (the protocol check), then a warm-up, then the timed run with the
//! server's CPU time read around it. h2load reports no percentiles: the
//! latency columns are its mean and maximum "time for request".

use std::process::Command;

use serde::{Deserialize, Serialize};

use super::super::launch::{Server, pinned_command};
use super::super::procfs;
use super::super::scenario::Scenario;
use super::{Ctx, Launch, Section, Target, ratio};

/// Requests of the protocol check.
pub const CHECK_REQUESTS: u64 = 100;

/// What `h2load` printed about one run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct H2loadOutput {
    /// Wall time (`finished in`), seconds.
    pub duration_s: f64,
    /// Requests per second as h2load computed them.
    pub rps: f64,
    /// Requests counted in total.
    pub total: u64,
    /// Requests that completed successfully.
    pub succeeded: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests that errored.
    pub errored: u64,
    /// Requests that timed out.
    pub timeout: u64,
    /// Responses with a 2xx status.
    pub status_2xx: u64,
    /// Fastest request, µs.
    pub min_us: f64,
    /// Slowest request, µs.
    pub max_us: f64,
    /// Mean request time, µs.
    pub mean_us: f64,
}

/// `12.3ms`, `580us`, `1.2s` as microseconds.
fn duration_us(s: &str) -> Option<f64> {
    let (number, scale) = if let Some(v) = s.strip_suffix("us") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1e3)
    } else if let Some(v) = s.strip_suffix("min") {
        (v, 60e6)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1e6)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// The number before `word` in a `, `-separated list such as
/// `requests: 10 total, 9 started, 9 done, 9 succeeded, 1 failed`.
fn count_before(list: &str, word: &str) -> Option<u64> {
    list.split(',').find_map(|part| {
        let mut it = part.split_whitespace();
        let n = it.next()?;
        (it.next()? == word).then(|| n.parse().ok()).flatten()
    })
}

/// Parses h2load's summary.
#[must_use]
pub fn parse(stdout: &str) -> Option<H2loadOutput> {
    let mut out = H2loadOutput::default();
    let mut seen = (false, false, false);
    for line in stdout.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("finished in ") {
            let mut parts = rest.split(',').map(str::trim);
            out.duration_s = duration_us(parts.next()?)? / 1e6;
            out.rps = parts.next()?.strip_suffix(" req/s")?.parse().ok()?;
            seen.0 = true;
        } else if let Some(rest) = line.strip_prefix("requests: ") {
            out.total = count_before(rest, "total")?;
            out.succeeded = count_before(rest, "succeeded")?;
            out.failed = count_before(rest, "failed")?;
            out.errored = count_before(rest, "errored")?;
            out.timeout = count_before(rest, "timeout")?;
            seen.1 = true;
        } else if let Some(rest) = line.strip_prefix("status codes: ") {
            out.status_2xx = count_before(rest, "2xx")?;
        } else if let Some(rest) = line.strip_prefix("time for request:") {
            let v: Vec<f64> = rest
                .split_whitespace()
                .take(3)
                .map(duration_us)
                .collect::<Option<_>>()?;
            if let [min, max, mean] = v.as_slice() {
                (out.min_us, out.max_us, out.mean_us) = (*min, *max, *mean);
                seen.2 = true;
            }
        }
    }
    (seen.0 && seen.1 && seen.2).then_some(out)
}

/// Makes sure `h2load` is installed (`apt-get install -y nghttp2-client`
/// when it is not) and returns its version line.
///
/// # Errors
/// When it is still missing.
pub fn ensure_installed() -> Result<String, String> {
    let version = || {
        Command::new("h2load")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if let Some(v) = version() {
        return Ok(v);
    }
    eprintln!("scale: h2load not found; running `apt-get install -y nghttp2-client`");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "nghttp2-client"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    if !matches!(install(), Ok(s) if s.success()) {
        let _ = Command::new("apt-get").arg("update").status();
        let _ = install();
    }
    version().ok_or_else(|| {
        "h2load is not installed and `apt-get install -y nghttp2-client` did not install it".into()
    })
}

/// How long or how many: `-D seconds` or `-n requests`.
#[derive(Debug, Clone, Copy)]
enum Amount {
    Seconds(u32),
    Requests(u64),
}

fn h2load(
    ctx: &Ctx<'_>,
    server: &Server,
    t: &Target,
    connections: u32,
    streams: u32,
    amount: Amount,
) -> Result<H2loadOutput, String> {
    let mut cmd = pinned_command(ctx.pin.load, "h2load".as_ref());
    cmd.args([
        "-t",
        "1",
        "-c",
        &connections.to_string(),
        "-m",
        &streams.to_string(),
    ]);
    match amount {
        Amount::Seconds(s) => cmd.args(["-D", &s.to_string()]),
        Amount::Requests(n) => cmd.args(["-n", &n.to_string()]),
    };
    for (k, v) in &t.request.headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    cmd.arg(format!(
        "http://127.0.0.1:{}{}",
        server.port, t.request.path
    ));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run h2load: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "h2load failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse(&stdout).ok_or_else(|| format!("no summary in h2load output:\n{stdout}"))
}

/// One timed HTTP/2 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct H2Run {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// HTTP/2 connections.
    pub connections: u32,
    /// Concurrent streams per connection.
    pub streams: u32,
    /// What h2load reported.
    pub h2load: H2loadOutput,
    /// Server CPU time per successful request, µs.
    pub cpu_us_per_req: f64,
    /// Server CPU time over wall time.
    pub server_cpu_util: f64,
    /// Peak RSS after the run (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
}

/// Runs `t` over HTTP/2 and records it (or the skip).
pub fn run(ctx: &mut Ctx<'_>, t: &Target) {
    let how = Launch {
        h2c: true,
        ..Launch::PINNED
    };
    let Some(server) = ctx.launch(t, Section::H2, how) else {
        return;
    };
    match timed(ctx, t, &server) {
        Ok(r) => {
            eprintln!(
                "  {:<5} {:<10} h2 c={} m={} {:>9.0} req/s  mean {:>7.0} µs  max {:>7.0} µs  cpu {:>5.2} µs/req ({:>3.0}%)  failed {}",
                t.framework,
                t.scenario.name(),
                r.connections,
                r.streams,
                r.h2load.rps,
                r.h2load.mean_us,
                r.h2load.max_us,
                r.cpu_us_per_req,
                r.server_cpu_util * 100.0,
                r.h2load.failed + r.h2load.errored + r.h2load.timeout
            );
            ctx.results.h2.push(r);
        }
        Err(why) => ctx.skip(t, Section::H2, "error", why),
    }
}

/// The protocol check, the warm-up and the timed run.
fn timed(ctx: &Ctx<'_>, t: &Target, server: &Server) -> Result<H2Run, String> {
    let (connections, streams) = (ctx.opts.h2_connections, ctx.opts.h2_streams);
    let check = h2load(ctx, server, t, 1, 10, Amount::Requests(CHECK_REQUESTS))?;
    if check.succeeded != CHECK_REQUESTS || check.status_2xx != CHECK_REQUESTS {
        return Err(format!(
            "h2c check: {} of {CHECK_REQUESTS} requests succeeded, {} answered 2xx",
            check.succeeded, check.status_2xx
        ));
    }
    if ctx.opts.warmup_s > 0 {
        h2load(
            ctx,
            server,
            t,
            connections,
            streams,
            Amount::Seconds(ctx.opts.warmup_s),
        )?;
    }
    let pid = server.pid();
    let gone = |e: std::io::Error| format!("server gone: {e}");
    let cpu0 = procfs::cpu_time_us(pid).map_err(gone)?;
    let out = h2load(
        ctx,
        server,
        t,
        connections,
        streams,
        Amount::Seconds(ctx.opts.duration_s),
    )?;
    let cpu1 = procfs::cpu_time_us(pid).map_err(gone)?;
    let cpu = cpu1.saturating_sub(cpu0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // seconds of a run
    let wall_us = (out.duration_s * 1e6) as u64;
    Ok(H2Run {
        framework: t.framework.clone(),
        scenario: t.scenario,
        connections,
        streams,
        h2load: out,
        cpu_us_per_req: ratio(cpu, out.succeeded),
        server_cpu_util: ratio(cpu, wall_us),
        peak_rss_kib: procfs::peak_rss_kib(pid).map_err(gone)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "starting benchmark...
spawning thread #0: 4 total client(s). Timing-based test with 0s of warm-up time and 5s of main duration for measurements.
Warm-up phase is over for thread #0.
Main benchmark duration is started for thread #0.
Application protocol: h2c
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 5.00s, 123456.78 req/s, 4.71MB/s
requests: 617284 total, 617684 started, 617284 done, 617280 succeeded, 4 failed, 0 errored, 0 timeout
status codes: 617280 2xx, 0 3xx, 4 4xx, 0 5xx
traffic: 23.55MB (24691360) total, 1.77MB (1851852) headers (space savings 95.24%), 7.65MB (8024692) data
                     min         max         mean         sd        +/- sd
time for request:      215us     16.43ms      3.20ms      1.05ms    68.84%
time for connect:      138us       226us       189us        37us    75.00%
time to 1st byte:     3.84ms      4.97ms      4.33ms       448us    75.00%
req/s           :   30000.12    31000.00    30864.19      100.79    50.00%
";

    #[test]
    fn parses_the_summary() {
        let o = parse(OUTPUT).unwrap();
        assert!((o.duration_s - 5.0).abs() < 1e-9);
        assert!((o.rps - 123_456.78).abs() < 1e-6);
        assert_eq!(
            (
                o.total,
                o.succeeded,
                o.failed,
                o.errored,
                o.timeout,
                o.status_2xx
            ),
            (617_284, 617_280, 4, 0, 0, 617_280)
        );
        assert!((o.min_us - 215.0).abs() < 1e-9);
        assert!((o.max_us - 16_430.0).abs() < 1e-6);
        assert!((o.mean_us - 3_200.0).abs() < 1e-6);
    }

    #[test]
    fn short_runs_and_missing_summaries() {
        let short = OUTPUT.replace("finished in 5.00s", "finished in 51.17ms");
        assert!((parse(&short).unwrap().duration_s - 0.051_17).abs() < 1e-9);
        assert!(parse("starting benchmark...\n").is_none());
        let no_latency: String = OUTPUT
            .lines()
            .filter(|l| !l.starts_with("time for request"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(parse(&no_latency).is_none());
        assert_eq!(duration_us("1.5s"), Some(1_500_000.0));
        assert_eq!(duration_us("2min"), Some(120_000_000.0));
        assert_eq!(duration_us("12"), None);
        assert_eq!(count_before("9 started, 3 failed", "failed"), Some(3));
        assert_eq!(count_before("9 started", "failed"), None);
    }
}
