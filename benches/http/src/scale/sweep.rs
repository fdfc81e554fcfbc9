//! The connection sweep: one server (one worker, pinned to the server CPU)
//! driven by `wrk` (one thread, pinned to the load CPU) at each connection
//! count in turn, lowest first, after a warm-up at the highest. Each step
//! reads the server's CPU time around the run (`/proc/PID/stat`), the busy
//! time of its CPU (`/proc/stat`, for what other processes took) and its
//! peak RSS after the run (`VmHWM`: the peak so far, which with counts
//! rising is the peak of the largest step yet).

use serde::{Deserialize, Serialize};

use super::super::launch::Server;
use super::super::procfs;
use super::super::results::{Latency, WrkErrors};
use super::super::scenario::Scenario;
use super::{Ctx, Launch, Section, Target, ratio};

/// One step of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Open connections.
    pub connections: u32,
    /// Completed requests.
    pub requests: u64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Requests per second.
    pub rps: f64,
    /// `wrk`'s latency distribution, µs.
    pub latency_us: Latency,
    /// `wrk`'s errors.
    pub errors: WrkErrors,
    /// Server CPU time per completed request, µs.
    pub cpu_us_per_req: f64,
    /// Server CPU time over wall time (1.0 = one core).
    pub server_cpu_util: f64,
    /// Peak RSS so far (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// Other processes' share of the server's CPU during the run; `None`
    /// when not pinned.
    pub other_util: Option<f64>,
}

/// Sweeps `t` and records its steps (or the skip).
pub fn run(ctx: &mut Ctx<'_>, t: &Target) {
    let Some(server) = ctx.launch(t, Section::Sweep, Launch::PINNED) else {
        return;
    };
    if let Err(why) = steps(ctx, t, &server) {
        ctx.skip(t, Section::Sweep, "error", why);
    }
}

fn steps(ctx: &mut Ctx<'_>, t: &Target, server: &Server) -> Result<(), String> {
    let script = ctx.wrk_script(t)?;
    let opts = ctx.opts;
    let load = ctx.pin.load;
    let max = opts.connections.iter().copied().max().unwrap_or(64);
    if opts.warmup_s > 0 {
        ctx.wrk(server, t, &script, load, max, opts.warmup_s)?;
    }
    let pid = server.pid();
    for &connections in &opts.connections {
        let busy = || ctx.pin.server.and_then(|c| procfs::cpu_busy_us(c).ok());
        let busy0 = busy();
        let cpu0 = procfs::cpu_time_us(pid).map_err(|e| format!("server gone: {e}"))?;
        let out = ctx.wrk(server, t, &script, load, connections, opts.duration_s)?;
        let cpu1 = procfs::cpu_time_us(pid).map_err(|e| format!("server gone: {e}"))?;
        let busy1 = busy();
        let cpu = cpu1.saturating_sub(cpu0);
        let step = Step {
            framework: t.framework.clone(),
            scenario: t.scenario,
            connections,
            requests: out.requests,
            duration_s: ratio(out.duration_us, 1_000_000),
            rps: ratio(out.requests * 1_000_000, out.duration_us),
            latency_us: out.latency_us,
            errors: out.errors,
            cpu_us_per_req: ratio(cpu, out.requests),
            server_cpu_util: ratio(cpu, out.duration_us),
            peak_rss_kib: procfs::peak_rss_kib(pid).unwrap_or(0),
            other_util: busy0
                .zip(busy1)
                .map(|(b0, b1)| ratio(b1.saturating_sub(b0).saturating_sub(cpu), out.duration_us)),
        };
        eprintln!(
            "  {:<5} {:<10} c={connections:<4} {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>5.2} µs/req ({:>3.0}%)  rss {:>6} KiB{}",
            t.framework,
            t.scenario.name(),
            step.rps,
            step.latency_us.p50,
            step.latency_us.p99,
            step.cpu_us_per_req,
            step.server_cpu_util * 100.0,
            step.peak_rss_kib,
            if step.errors.total() > 0 {
                format!("  ERRORS {:?}", step.errors)
            } else {
                String::new()
            }
        );
        ctx.results.sweep.push(step);
    }
    Ok(())
}
