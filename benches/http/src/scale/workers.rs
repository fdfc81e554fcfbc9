//! One and two worker threads: the server started with `--workers 1` and
//! then `--workers 2`, neither pinned, driven by `wrk` (one thread, not
//! pinned either) at `worker_connections` connections, so server and load
//! share the machine's two cores as the scheduler places them. Both worker
//! counts run under the same conditions, so their CPU µs per request
//! compare; neither compares with the pinned sweep's.

use serde::{Deserialize, Serialize};

use super::super::launch::Server;
use super::super::procfs;
use super::super::results::{Latency, WrkErrors};
use super::super::scenario::Scenario;
use super::{Ctx, Launch, Section, Target, ratio};

/// The worker counts compared.
pub const WORKERS: [usize; 2] = [1, 2];

/// One run at one worker count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkersRun {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// `--workers`.
    pub workers: usize,
    /// Open connections.
    pub connections: u32,
    /// Completed requests.
    pub requests: u64,
    /// Requests per second.
    pub rps: f64,
    /// `wrk`'s latency distribution, µs.
    pub latency_us: Latency,
    /// `wrk`'s errors.
    pub errors: WrkErrors,
    /// Server CPU time per completed request, µs.
    pub cpu_us_per_req: f64,
    /// Server CPU time over wall time (up to 2.0 on two cores).
    pub server_cpu_util: f64,
    /// Peak RSS after the run (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
}

/// Runs `t` at each worker count and records the runs (or the skip).
pub fn run(ctx: &mut Ctx<'_>, t: &Target) {
    for workers in WORKERS {
        let how = Launch {
            workers,
            h2c: false,
            pinned: false,
        };
        let Some(server) = ctx.launch(t, Section::Workers, how) else {
            return;
        };
        match measure(ctx, t, &server, workers) {
            Ok(r) => {
                eprintln!(
                    "  {:<5} {:<10} workers={} c={} {:>9.0} req/s  p99 {:>7.0} µs  cpu {:>5.2} µs/req ({:>3.0}%)",
                    t.framework,
                    t.scenario.name(),
                    r.workers,
                    r.connections,
                    r.rps,
                    r.latency_us.p99,
                    r.cpu_us_per_req,
                    r.server_cpu_util * 100.0
                );
                ctx.results.workers.push(r);
            }
            Err(why) => {
                ctx.skip(t, Section::Workers, "error", why);
                return;
            }
        }
    }
}

fn measure(
    ctx: &Ctx<'_>,
    t: &Target,
    server: &Server,
    workers: usize,
) -> Result<WorkersRun, String> {
    let script = ctx.wrk_script(t)?;
    let opts = ctx.opts;
    let connections = opts.worker_connections;
    if opts.warmup_s > 0 {
        ctx.wrk(server, t, &script, None, connections, opts.warmup_s)?;
    }
    let pid = server.pid();
    let gone = |e: std::io::Error| format!("server gone: {e}");
    let cpu0 = procfs::cpu_time_us(pid).map_err(gone)?;
    let out = ctx.wrk(server, t, &script, None, connections, opts.duration_s)?;
    let cpu1 = procfs::cpu_time_us(pid).map_err(gone)?;
    let cpu = cpu1.saturating_sub(cpu0);
    Ok(WorkersRun {
        framework: t.framework.clone(),
        scenario: t.scenario,
        workers,
        connections,
        requests: out.requests,
        rps: ratio(out.requests * 1_000_000, out.duration_us),
        latency_us: out.latency_us,
        errors: out.errors,
        cpu_us_per_req: ratio(cpu, out.requests),
        server_cpu_util: ratio(cpu, out.duration_us),
        peak_rss_kib: procfs::peak_rss_kib(pid).map_err(gone)?,
    })
}
