//! The `scale` binary: the benchmark plan's "also measure" rows (issue 15)
//! for kiln, axum, actix-web and bare hyper, on the `basic` scenario's `/`
//! and the `middleware` scenario's public `/` (the stack).
//!
//! - [`baseline`]: startup time (process start to first `200`), RSS at idle
//!   (after start, after one request) and the latency of sequential requests
//!   with pauses on one kept-alive connection.
//! - [`sweep`]: `wrk` at 1, 10, 64, 256, 512 and 1,000 connections: req/s,
//!   p99, server CPU µs per request and peak RSS at each step.
//! - [`spike`]: a fresh, idle server hit by 1,000 connections at once.
//! - [`h2`]: `h2load`, 100 streams over 4 cleartext HTTP/2 connections.
//! - [`workers`]: 1 and 2 worker threads, not pinned, `wrk` on the same cores.
//!
//! Each server runs as in `bench` (the same binaries, started by
//! [`launch`], pinned to CPU 0 with the load on CPU 1 except
//! in `workers`), its response is checked against the reference before it
//! is measured, and the results go to `benches/results/scale/scale.json`
//! and a generated `REPORT.md` beside it ([`report`]).

pub mod baseline;
mod ctx;
pub mod h2;
mod options;
pub mod report;
pub mod spike;
pub mod sweep;
pub mod workers;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::launch;
use super::machine;
use super::procfs;
use super::results::Machine;
use super::scenario::{self, Request, Scenario};
use super::wrk;

pub use super::stats::ratio;
pub use ctx::{Ctx, Launch};
pub use options::{Options, Section, USAGE};

/// The frameworks measured, in report order.
pub const FRAMEWORKS: [&str; 4] = ["kiln", "axum", "actix", "hyper"];

/// The open-files limit the runs need: 1,000 connections on each side plus
/// what the processes hold anyway.
pub const OPEN_FILES_NEEDED: u64 = 4096;

/// How the run was set up, as recorded in `scale.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `--quick`.
    pub quick: bool,
    /// Sections run.
    pub sections: Vec<Section>,
    /// Frameworks asked for.
    pub frameworks: Vec<String>,
    /// Seconds per timed run.
    pub duration_s: u32,
    /// Seconds of warm-up per server before its timed runs.
    pub warmup_s: u32,
    /// The sweep's connection counts.
    pub connections: Vec<u32>,
    /// Connections of the spike.
    pub spike_connections: u32,
    /// Seconds of the spike.
    pub spike_s: u32,
    /// Timed requests of the idle-latency probe.
    pub latency_requests: u32,
    /// Pause between them, ms.
    pub pause_ms: u32,
    /// Launches timed for the startup time.
    pub startups: u32,
    /// Connections of the `workers` runs.
    pub worker_connections: u32,
    /// HTTP/2 connections.
    pub h2_connections: u32,
    /// Streams per HTTP/2 connection.
    pub h2_streams: u32,
    /// CPU the server was pinned to (except in `workers`).
    pub server_cpu: Option<usize>,
    /// CPU the load generator (and the latency probe) was pinned to.
    pub load_cpu: Option<usize>,
    /// The soft open-files limit of the run (inherited by servers and load).
    pub open_files: u64,
    /// `h2load --version`.
    pub h2load: String,
}

/// A server/case pair that was not measured, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The framework.
    pub framework: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The section it happened in.
    pub section: Section,
    /// `unsupported`, `unavailable`, `check-failed` or `error`.
    pub kind: String,
    /// The reason.
    pub reason: String,
}

/// The whole `scale.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleResults {
    /// UTC date and time the run started.
    pub date: String,
    /// The command that made it.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// The set-up.
    pub config: Config,
    /// Startup, idle RSS, idle latency.
    pub baseline: Vec<baseline::Baseline>,
    /// Every sweep step.
    pub sweep: Vec<sweep::Step>,
    /// The spikes.
    pub spike: Vec<spike::Spike>,
    /// The HTTP/2 runs.
    pub h2: Vec<h2::H2Run>,
    /// The worker-count runs.
    pub workers: Vec<workers::WorkersRun>,
    /// What was not measured.
    pub skipped: Vec<Skip>,
    /// `/proc/loadavg` at the start and the end.
    pub load_average: Vec<String>,
}

/// One thing measured: a framework's server on one scenario's `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The framework.
    pub framework: String,
    /// `basic` or `middleware`.
    pub scenario: Scenario,
    /// The request and its reference response (`basic/hello`, `middleware/public`).
    pub request: Request,
}

/// The scenarios measured and the endpoint of each.
pub const CASES: [(Scenario, &str); 2] =
    [(Scenario::Basic, "hello"), (Scenario::Middleware, "public")];

/// The targets of a run: every case, each framework in turn.
///
/// # Panics
/// If a case's endpoint is missing from [`scenario::cases`] (a bug here).
#[must_use]
pub fn targets(frameworks: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    for (scenario, endpoint) in CASES {
        let request = scenario::cases(scenario)
            .into_iter()
            .flat_map(|c| c.endpoints)
            .find(|r| r.name == endpoint)
            .expect("the scale cases are endpoints of their scenarios");
        for f in frameworks {
            out.push(Target {
                framework: f.clone(),
                scenario,
                request: request.clone(),
            });
        }
    }
    out
}

/// Writes `results` as pretty JSON, creating the directory.
///
/// # Errors
/// On I/O failures.
pub fn save(results: &ScaleResults, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    fs::write(path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Raises this process's soft open-files limit to [`OPEN_FILES_NEEDED`]
/// (with `prlimit`) when it is lower, so that the servers and `wrk`, which
/// inherit it, can hold 1,000 connections; returns the limit in force.
///
/// # Errors
/// When the limit cannot be read.
pub fn raise_open_files() -> Result<u64, String> {
    let pid = std::process::id();
    let (soft, hard) =
        procfs::open_files_limit(pid).map_err(|e| format!("open-files limit: {e}"))?;
    if soft >= OPEN_FILES_NEEDED {
        return Ok(soft);
    }
    let want = OPEN_FILES_NEEDED.min(hard);
    eprintln!("scale: open-files limit {soft}; raising it to {want} (hard limit {hard})");
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--nofile={want}:{hard}"),
        ])
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("scale: warning: prlimit failed ({status:?}); 1,000 connections may fail");
    }
    let (soft, _) = procfs::open_files_limit(pid).map_err(|e| format!("open-files limit: {e}"))?;
    if soft < OPEN_FILES_NEEDED {
        eprintln!("scale: warning: open-files limit is {soft}, below {OPEN_FILES_NEEDED}");
    }
    Ok(soft)
}

/// The command line that reproduces this run.
#[must_use]
pub fn command_line(args: &[String]) -> String {
    let mut s = "cargo run -p kiln-http-suite --release --bin scale".to_owned();
    if !args.is_empty() {
        s.push_str(" -- ");
        s.push_str(&args.join(" "));
    }
    s
}

fn servers_dir(opts: &Options) -> Result<PathBuf, String> {
    if let Some(dir) = &opts.server_dir {
        return Ok(dir.clone());
    }
    let target =
        launch::target_dir().map_err(|e| format!("cannot locate the target directory: {e}"))?;
    if opts.build {
        launch::release_build(&target, &["-p", "kiln-http-suite", "--bins"])?;
    }
    Ok(target.join("release"))
}

/// Writes `REPORT.md` from `results` into `dir`.
///
/// # Errors
/// On I/O failures.
pub fn write_report(results: &ScaleResults, dir: &Path) -> Result<PathBuf, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("REPORT.md");
    fs::write(&path, report::markdown(results)).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Runs the sections asked for and writes `scale.json` and `REPORT.md`.
///
/// # Errors
/// When `wrk` or `h2load` is missing, the build fails or a file cannot be
/// written (a server that is unsupported, fails its check or fails a run is
/// recorded as skipped instead).
pub fn run(opts: &Options, args: &[String]) -> Result<ScaleResults, String> {
    wrk::ensure_installed()?;
    let h2load = if opts.sections.contains(&Section::H2) {
        h2::ensure_installed()?
    } else {
        String::new()
    };
    let open_files = raise_open_files()?;
    let servers = servers_dir(opts)?;
    let pin = launch::pinning();
    let scratch = std::env::temp_dir().join(format!("kiln-scale-{}", std::process::id()));
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut ctx = Ctx {
        opts,
        pin,
        servers,
        scratch: scratch.clone(),
        next_port: opts.base_port,
        results: ScaleResults {
            date: machine::now_utc(),
            command: command_line(args),
            machine: machine::describe(),
            config: Config {
                quick: opts.quick,
                sections: opts.sections.clone(),
                frameworks: opts.frameworks.clone(),
                duration_s: opts.duration_s,
                warmup_s: opts.warmup_s,
                connections: opts.connections.clone(),
                spike_connections: opts.spike_connections,
                spike_s: opts.spike_s,
                latency_requests: opts.latency_requests,
                pause_ms: opts.pause_ms,
                startups: opts.startups,
                worker_connections: opts.worker_connections,
                h2_connections: opts.h2_connections,
                h2_streams: opts.h2_streams,
                server_cpu: pin.server,
                load_cpu: pin.load,
                open_files,
                h2load,
            },
            baseline: Vec::new(),
            sweep: Vec::new(),
            spike: Vec::new(),
            h2: Vec::new(),
            workers: Vec::new(),
            skipped: Vec::new(),
            load_average: vec![machine::load_average()],
        },
    };
    let targets = targets(&opts.frameworks);
    let started = Instant::now();
    for section in Section::ALL {
        if !opts.sections.contains(&section) {
            continue;
        }
        eprintln!(
            "scale: {section} ({:.0} s in)",
            started.elapsed().as_secs_f64()
        );
        for t in &targets {
            if ctx.skipped(t) {
                continue;
            }
            match section {
                Section::Baseline => baseline::run(&mut ctx, t),
                Section::Sweep => sweep::run(&mut ctx, t),
                Section::Spike => spike::run(&mut ctx, t),
                Section::H2 => h2::run(&mut ctx, t),
                Section::Workers => workers::run(&mut ctx, t),
            }
        }
        ctx.save()?;
    }
    ctx.results.load_average.push(machine::load_average());
    ctx.save()?;
    let report = write_report(&ctx.results, &opts.out_dir)?;
    let _ = fs::remove_dir_all(&scratch);
    eprintln!(
        "scale: done in {:.0} s; results in {} and {}",
        started.elapsed().as_secs_f64(),
        opts.out_dir.join("scale.json").display(),
        report.display()
    );
    Ok(ctx.results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_the_two_cases_for_each_framework() {
        let t = targets(&["kiln".to_owned(), "hyper".to_owned()]);
        assert_eq!(t.len(), 4);
        assert_eq!(
            (
                t[0].scenario,
                t[0].request.path.as_str(),
                t[0].request.name.as_str()
            ),
            (Scenario::Basic, "/", "hello")
        );
        assert_eq!(
            (t[3].framework.as_str(), t[3].scenario),
            ("hyper", Scenario::Middleware)
        );
        assert_eq!(t[3].request.name, "public");
        assert!(t[3].request.headers.iter().any(|(k, _)| k == "origin"));
    }

    #[test]
    fn command_lines_reproduce_the_run() {
        assert_eq!(
            command_line(&["--quick".into()]),
            "cargo run -p kiln-http-suite --release --bin scale -- --quick"
        );
        assert_eq!(
            command_line(&[]),
            "cargo run -p kiln-http-suite --release --bin scale"
        );
    }
}
