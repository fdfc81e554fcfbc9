//! The raw results file (JSON): how the run was set up, on what machine, and
//! every measurement, allocation count, check and skip.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scenario::Scenario;

/// Latency distribution of a `wrk` run, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Fastest request.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub stdev: f64,
    /// Slowest request.
    pub max: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
}

/// `wrk`'s error counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WrkErrors {
    /// Connect errors.
    pub connect: u64,
    /// Read errors.
    pub read: u64,
    /// Write errors.
    pub write: u64,
    /// Responses with a status other than 2xx/3xx.
    pub status: u64,
    /// Timeouts.
    pub timeout: u64,
}

impl WrkErrors {
    /// All errors together.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }
}

/// Which measurement a row belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// `kiln`, `axum`, `actix`, `hyper`.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The variant (`depth=5`), if any.
    pub variant: Option<String>,
    /// The endpoint name (`hello`, `json`, ...).
    pub endpoint: String,
}

/// One timed `wrk` run against one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured.
    #[serde(flatten)]
    pub key: Key,
    /// Open connections.
    pub connections: u32,
    /// The round (0-based); frameworks are interleaved within a round.
    pub round: u32,
    /// Completed requests.
    pub requests: u64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Requests per second.
    pub rps: f64,
    /// Latency, microseconds.
    pub latency_us: Latency,
    /// `wrk`'s error counters (non-2xx responses included).
    pub errors: WrkErrors,
    /// Server CPU time (user + system) per completed request, microseconds.
    pub cpu_us_per_req: f64,
    /// Server CPU time over wall time (1.0 = one core busy the whole run).
    pub server_cpu_util: f64,
    /// Peak RSS of the server process so far (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// CPU time of *other* processes on the server's CPU over wall time
    /// (busy time of that CPU minus the server's CPU time): how much the
    /// run was disturbed. `None` when the server was not pinned.
    #[serde(default)]
    pub other_util: Option<f64>,
    /// The database server's CPU time (Postgres: the postmaster and all its
    /// processes) per completed request, microseconds; `None` without one
    /// (SQLite runs inside the server and is in `cpu_us_per_req`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_cpu_us_per_req: Option<f64>,
    /// `cache` scenario: the share of requests the handler did not run for
    /// (`1 - handler runs / requests`); `None` elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit_ratio: Option<f64>,
    /// `tasks` scenario: the jobs of the run and how long they waited to
    /// start (the CPU per request includes running them); `None` elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_delays: Option<crate::tasks::StartDelays>,
}

/// Allocations per request, from a separate run of a server with counting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocCount {
    /// What was measured.
    #[serde(flatten)]
    pub key: Key,
    /// Open connections.
    pub connections: u32,
    /// Completed requests in the counted run.
    pub requests: u64,
    /// Allocations in the counted run.
    pub allocations: u64,
    /// `allocations / requests`.
    pub per_request: f64,
}

/// A framework/case pair that was not measured, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The variant, if any.
    pub variant: Option<String>,
    /// `unsupported` (the server exited with code 2), `unavailable` (no
    /// binary), `check-failed` or `error`.
    pub kind: String,
    /// The server's message or the failure.
    pub reason: String,
}

/// The machine and toolchain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Versions of the compared crates, from `Cargo.lock`.
    pub crates: BTreeMap<String, String>,
    /// `git rev-parse --short HEAD` plus `-dirty` when the tree has changes.
    pub commit: String,
}

/// How the run was set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `--quick`.
    pub quick: bool,
    /// Scenarios run.
    pub scenarios: Vec<Scenario>,
    /// Frameworks asked for.
    pub frameworks: Vec<String>,
    /// Rounds (frameworks interleaved in each).
    pub rounds: u32,
    /// Seconds per measured `wrk` run.
    pub duration_s: u32,
    /// Seconds of warm-up per endpoint before measuring.
    pub warmup_s: u32,
    /// Connection counts.
    pub connections: Vec<u32>,
    /// Server worker threads.
    pub workers: usize,
    /// CPU the server was pinned to.
    pub server_cpu: Option<usize>,
    /// CPU `wrk` was pinned to.
    pub wrk_cpu: Option<usize>,
    /// Connections of the allocation-counting runs.
    pub alloc_connections: u32,
    /// Seconds of each allocation-counting run.
    pub alloc_duration_s: u32,
}

/// The whole results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// UTC date and time the run started (ISO 8601).
    pub date: String,
    /// The machine.
    pub machine: Machine,
    /// The set-up.
    pub config: Config,
    /// Every timed run.
    pub measurements: Vec<Measurement>,
    /// Allocation counts.
    pub allocations: Vec<AllocCount>,
    /// Pairs not measured.
    pub skipped: Vec<Skip>,
    /// Framework/case pairs whose responses matched the reference.
    pub checked: Vec<String>,
    /// `/proc/loadavg` when the run started and when it ended: other
    /// processes competing for the CPUs make the numbers unreliable.
    #[serde(default)]
    pub load_average: Vec<String>,
}
