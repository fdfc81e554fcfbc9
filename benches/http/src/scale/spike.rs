//! The spike: a fresh server (one worker, pinned), checked with one request
//! and then left idle for a second, is hit by `wrk` with 1,000 connections
//! started cold for `spike_s` seconds (default 1). wrk opens all its
//! connections at once when it starts, so the whole run is the spike: its
//! p99 and errors are those of the first second of 1,000 new connections.
//! wrk's latency is per request, from writing it to its response; the time
//! a connection waited to be accepted is not in it (a connection that was
//! never accepted is a connect error or timeout).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::launch::Server;
use super::super::procfs;
use super::super::results::{Latency, WrkErrors};
use super::super::scenario::Scenario;
use super::{Ctx, Launch, Section, Target, ratio};

/// How long the server is idle before the spike.
pub const IDLE: Duration = Duration::from_secs(1);

/// One spike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Connections opened at once.
    pub connections: u32,
    /// `VmRSS` of the idle server just before, KiB.
    pub idle_rss_kib: u64,
    /// Completed requests.
    pub requests: u64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Requests per second over the spike.
    pub rps: f64,
    /// `wrk`'s latency distribution, µs.
    pub latency_us: Latency,
    /// `wrk`'s errors.
    pub errors: WrkErrors,
    /// Server CPU time per completed request, µs.
    pub cpu_us_per_req: f64,
    /// Peak RSS after the spike (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
}

/// Spikes `t` and records it (or the skip).
pub fn run(ctx: &mut Ctx<'_>, t: &Target) {
    let Some(server) = ctx.launch(t, Section::Spike, Launch::PINNED) else {
        return;
    };
    match spike(ctx, t, &server) {
        Ok(s) => {
            eprintln!(
                "  {:<5} {:<10} spike c={} {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  max {:>7.0} µs  errors {}  rss {} → {} KiB",
                t.framework,
                t.scenario.name(),
                s.connections,
                s.rps,
                s.latency_us.p50,
                s.latency_us.p99,
                s.latency_us.max,
                s.errors.total(),
                s.idle_rss_kib,
                s.peak_rss_kib
            );
            ctx.results.spike.push(s);
        }
        Err(why) => ctx.skip(t, Section::Spike, "error", why),
    }
}

fn spike(ctx: &Ctx<'_>, t: &Target, server: &Server) -> Result<Spike, String> {
    let script = ctx.wrk_script(t)?;
    let pid = server.pid();
    let gone = |e: std::io::Error| format!("server gone: {e}");
    std::thread::sleep(IDLE);
    let idle_rss_kib = procfs::rss_kib(pid).map_err(gone)?;
    let cpu0 = procfs::cpu_time_us(pid).map_err(gone)?;
    let connections = ctx.opts.spike_connections;
    let out = ctx.wrk(
        server,
        t,
        &script,
        ctx.pin.load,
        connections,
        ctx.opts.spike_s,
    )?;
    let cpu1 = procfs::cpu_time_us(pid).map_err(gone)?;
    Ok(Spike {
        framework: t.framework.clone(),
        scenario: t.scenario,
        connections,
        idle_rss_kib,
        requests: out.requests,
        duration_s: ratio(out.duration_us, 1_000_000),
        rps: ratio(out.requests * 1_000_000, out.duration_us),
        latency_us: out.latency_us,
        errors: out.errors,
        cpu_us_per_req: ratio(cpu1.saturating_sub(cpu0), out.requests),
        peak_rss_kib: procfs::peak_rss_kib(pid).map_err(gone)?,
    })
}
