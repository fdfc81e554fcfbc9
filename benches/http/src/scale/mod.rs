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
pub mod h2;
pub mod report;
pub mod spike;
pub mod sweep;
pub mod workers;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::check;
use super::launch::{self, Pinning, Server, Start, StartError};
use super::machine;
use super::procfs;
use super::results::Machine;
use super::scenario::{self, Request, Scenario};
use super::wrk;

/// The frameworks measured, in report order.
pub const FRAMEWORKS: [&str; 4] = ["kiln", "axum", "actix", "hyper"];

/// The open-files limit the runs need: 1,000 connections on each side plus
/// what the processes hold anyway.
pub const OPEN_FILES_NEEDED: u64 = 4096;

/// One part of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Startup, idle RSS, idle latency.
    Baseline,
    /// The connection sweep.
    Sweep,
    /// 1,000 connections on an idle server.
    Spike,
    /// HTTP/2 with h2load.
    H2,
    /// One and two worker threads.
    Workers,
}

impl Section {
    /// Every section, in run and report order.
    pub const ALL: [Section; 5] = [
        Section::Baseline,
        Section::Sweep,
        Section::Spike,
        Section::H2,
        Section::Workers,
    ];

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Section::Baseline => "baseline",
            Section::Sweep => "sweep",
            Section::Spike => "spike",
            Section::H2 => "h2",
            Section::Workers => "workers",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Section {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Section::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| format!("unknown section `{s}` (baseline, sweep, spike, h2, workers)"))
    }
}

/// The `scale` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Sections to run.
    pub sections: Vec<Section>,
    /// Frameworks to run.
    pub frameworks: Vec<String>,
    /// The smoke mode: short runs, fewer steps.
    pub quick: bool,
    /// Where `scale.json` and `REPORT.md` go.
    pub out_dir: PathBuf,
    /// Seconds per timed run (sweep step, h2load run, workers run).
    pub duration_s: u32,
    /// Seconds of warm-up before a server's timed runs.
    pub warmup_s: u32,
    /// The sweep's connection counts.
    pub connections: Vec<u32>,
    /// Connections of the spike.
    pub spike_connections: u32,
    /// Seconds of the spike's `wrk` run.
    pub spike_s: u32,
    /// Timed sequential requests of the idle-latency probe.
    pub latency_requests: u32,
    /// Pause between two of them, milliseconds.
    pub pause_ms: u32,
    /// Launches timed for the startup time.
    pub startups: u32,
    /// Connections of the `workers` runs.
    pub worker_connections: u32,
    /// HTTP/2 connections of the h2load runs.
    pub h2_connections: u32,
    /// Concurrent streams per HTTP/2 connection.
    pub h2_streams: u32,
    /// Build the servers with cargo first.
    pub build: bool,
    /// Where the `server_*` binaries are (default: `<target>/release`).
    pub server_dir: Option<PathBuf>,
    /// First port to use (each server start takes two).
    pub base_port: u16,
    /// Only write the report from an existing `scale.json`.
    pub report_from: Option<PathBuf>,
}

/// The usage text.
pub const USAGE: &str = "\
usage: scale [--quick] [--sections baseline,sweep,spike,h2,workers] [--frameworks kiln,axum,actix,hyper]
             [--out-dir benches/results/scale] [--duration S] [--warmup S] [--connections 1,10,64,256,512,1000]
             [--spike-connections N] [--spike-duration S] [--latency-requests N] [--pause-ms MS]
             [--startups N] [--worker-connections N] [--h2-connections N] [--h2-streams N]
             [--no-build] [--server-dir DIR] [--port P]
       scale --report-from scale.json [--out-dir DIR]";

fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn number<T: FromStr>(flag: &str, v: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    v.parse().map_err(|e| format!("{flag}: {e}"))
}

impl Options {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A message naming the bad argument.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
        let mut o = Options {
            sections: Section::ALL.to_vec(),
            frameworks: FRAMEWORKS.iter().map(|s| (*s).to_owned()).collect(),
            quick: false,
            out_dir: machine::workspace_root().join("benches/results/scale"),
            duration_s: 5,
            warmup_s: 2,
            connections: vec![1, 10, 64, 256, 512, 1000],
            spike_connections: 1000,
            spike_s: 1,
            latency_requests: 1000,
            pause_ms: 2,
            startups: 5,
            worker_connections: 64,
            h2_connections: 4,
            h2_streams: 100,
            build: true,
            server_dir: None,
            base_port: 19_080,
            report_from: None,
        };
        let (mut duration, mut warmup, mut conns, mut latency, mut startups) =
            (None, None, None, None, None);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--quick" => o.quick = true,
                "--sections" | "--section" => {
                    o.sections = list(&value()?).map(str::parse).collect::<Result<_, _>>()?;
                }
                "--frameworks" | "--framework" => {
                    o.frameworks = list(&value()?).map(str::to_owned).collect();
                    if let Some(bad) = o
                        .frameworks
                        .iter()
                        .find(|f| !FRAMEWORKS.contains(&f.as_str()))
                    {
                        return Err(format!(
                            "unknown framework `{bad}` ({})",
                            FRAMEWORKS.join(", ")
                        ));
                    }
                }
                "--out-dir" => o.out_dir = PathBuf::from(value()?),
                "--duration" => duration = Some(number(&flag, &value()?)?),
                "--warmup" => warmup = Some(number(&flag, &value()?)?),
                "--connections" => {
                    conns = Some(
                        list(&value()?)
                            .map(|c| number(&flag, c))
                            .collect::<Result<Vec<u32>, _>>()?,
                    );
                }
                "--spike-connections" => o.spike_connections = number(&flag, &value()?)?,
                "--spike-duration" => o.spike_s = number(&flag, &value()?)?,
                "--latency-requests" => latency = Some(number(&flag, &value()?)?),
                "--pause-ms" => o.pause_ms = number(&flag, &value()?)?,
                "--startups" => startups = Some(number(&flag, &value()?)?),
                "--worker-connections" => o.worker_connections = number(&flag, &value()?)?,
                "--h2-connections" => o.h2_connections = number(&flag, &value()?)?,
                "--h2-streams" => o.h2_streams = number(&flag, &value()?)?,
                "--no-build" => o.build = false,
                "--server-dir" => o.server_dir = Some(PathBuf::from(value()?)),
                "--port" => o.base_port = number(&flag, &value()?)?,
                "--report-from" => o.report_from = Some(PathBuf::from(value()?)),
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let quick = o.quick;
        o.duration_s = duration.unwrap_or(if quick { 1 } else { 5 }).max(1);
        o.warmup_s = warmup.unwrap_or(if quick { 0 } else { 2 });
        o.connections = conns.unwrap_or_else(|| {
            if quick {
                vec![1, 64, 1000]
            } else {
                vec![1, 10, 64, 256, 512, 1000]
            }
        });
        o.latency_requests = latency.unwrap_or(if quick { 200 } else { 1000 }).max(1);
        o.startups = startups.unwrap_or(if quick { 2 } else { 5 }).max(1);
        o.spike_s = o.spike_s.max(1);
        if o.sections.is_empty() || o.frameworks.is_empty() || o.connections.is_empty() {
            return Err("nothing to run".into());
        }
        if o.connections.contains(&0) || o.spike_connections == 0 || o.worker_connections == 0 {
            return Err("connection counts must be at least 1".into());
        }
        Ok(o)
    }
}

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

/// `a / b` as a float, 0 when `b` is 0.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
#[must_use]
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The state of one run, shared by the sections.
pub struct Ctx<'a> {
    /// The options.
    pub opts: &'a Options,
    /// Where servers and load run.
    pub pin: Pinning,
    servers: PathBuf,
    /// Scratch directory (stderr files, wrk scripts).
    pub scratch: PathBuf,
    next_port: u16,
    /// Everything measured so far.
    pub results: ScaleResults,
}

/// How a section starts its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Launch {
    /// Worker threads.
    pub workers: usize,
    /// `--h2c`.
    pub h2c: bool,
    /// Pin to the server CPU (else not pinned).
    pub pinned: bool,
}

impl Launch {
    /// One worker, pinned, HTTP/1.1 as in `bench`.
    pub const PINNED: Launch = Launch {
        workers: 1,
        h2c: false,
        pinned: true,
    };
}

impl Ctx<'_> {
    fn port(&mut self) -> u16 {
        let port = self.next_port;
        self.next_port = if self.next_port > self.opts.base_port + 400 {
            self.opts.base_port
        } else {
            self.next_port + 2
        };
        port
    }

    /// Whether `t`'s server cannot run at all (unsupported or not built):
    /// later sections leave it out. A failure in one section does not.
    #[must_use]
    pub fn skipped(&self, t: &Target) -> bool {
        self.results.skipped.iter().any(|s| {
            s.framework == t.framework
                && s.scenario == t.scenario
                && matches!(s.kind.as_str(), "unsupported" | "unavailable")
        })
    }

    /// Records that `t` was not measured in `section`.
    pub fn skip(&mut self, t: &Target, section: Section, kind: &str, reason: String) {
        eprintln!(
            "scale: skip {} {} ({section}): {kind}: {reason}",
            t.framework, t.scenario
        );
        self.results.skipped.push(Skip {
            framework: t.framework.clone(),
            scenario: t.scenario,
            section,
            kind: kind.to_owned(),
            reason,
        });
    }

    /// The server's start: binary, arguments, port and stderr file.
    fn start_of(
        &mut self,
        t: &Target,
        how: Launch,
    ) -> Result<(PathBuf, Vec<String>, u16, PathBuf), String> {
        let binary = self.servers.join(format!("server_{}", t.framework));
        if !binary.exists() {
            return Err(format!("{} not built", binary.display()));
        }
        let port = self.port();
        let mut args = vec![
            "--scenario".to_owned(),
            t.scenario.name().to_owned(),
            "--port".to_owned(),
            port.to_string(),
            "--workers".to_owned(),
            how.workers.to_string(),
        ];
        if how.h2c {
            args.push("--h2c".into());
        }
        let stderr = self.scratch.join(format!("server-{}.stderr", t.framework));
        Ok((binary, args, port, stderr))
    }

    /// Starts `t`'s server and returns it once its port is listening, with
    /// the time from spawn to `ready` returning true (polled every
    /// `every`). `None` when it did not come up (recorded as a skip).
    pub fn launch_until(
        &mut self,
        t: &Target,
        section: Section,
        how: Launch,
        every: std::time::Duration,
        mut ready: impl FnMut(u16) -> bool,
    ) -> Option<(Server, std::time::Duration)> {
        let (binary, args, port, stderr) = match self.start_of(t, how) {
            Ok(s) => s,
            Err(why) => {
                self.skip(t, section, "unavailable", why);
                return None;
            }
        };
        let start = Start {
            binary: &binary,
            args,
            port,
            cpu: if how.pinned { self.pin.server } else { None },
            stderr: &stderr,
            env: Vec::new(),
        };
        let t0 = Instant::now();
        let result = launch::spawn(&start).and_then(|mut server| {
            launch::wait_until(
                &mut server,
                &stderr,
                std::time::Duration::from_secs(20),
                every,
                || ready(port),
            )
            .map(|()| (server, t0.elapsed()))
        });
        match result {
            Ok(ok) => Some(ok),
            Err(e) => {
                let kind = match e {
                    StartError::Unsupported(_) => "unsupported",
                    StartError::Failed(_) => "error",
                };
                let why = match e {
                    StartError::Unsupported(w) | StartError::Failed(w) => w,
                };
                self.skip(t, section, kind, why);
                None
            }
        }
    }

    /// Starts `t`'s server, waits until it accepts connections, and checks
    /// its response against the reference. `None` when it did not come up
    /// or answered wrongly (recorded as a skip).
    pub fn launch(&mut self, t: &Target, section: Section, how: Launch) -> Option<Server> {
        let (server, _) = self.launch_until(
            t,
            section,
            how,
            std::time::Duration::from_millis(20),
            procfs::listening,
        )?;
        if let Err(why) = check::check_request(server.port, &t.request) {
            self.skip(t, section, "check-failed", why);
            return None;
        }
        Some(server)
    }

    /// Writes the `wrk` script of `t`'s request and returns its path.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn wrk_script(&self, t: &Target) -> Result<PathBuf, String> {
        let path = self
            .scratch
            .join(format!("{}-{}.lua", t.framework, t.scenario));
        fs::write(&path, wrk::script(&t.request.headers))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Runs `wrk` (one thread) against `t`'s request on `server`.
    ///
    /// # Errors
    /// When `wrk` fails.
    pub fn wrk(
        &self,
        server: &Server,
        t: &Target,
        script: &Path,
        cpu: Option<usize>,
        connections: u32,
        seconds: u32,
    ) -> Result<wrk::WrkOutput, String> {
        let url = format!("http://127.0.0.1:{}{}", server.port, t.request.path);
        wrk::run(&wrk::WrkRun {
            cpu,
            connections,
            seconds,
            script,
            url: &url,
        })
    }

    fn save(&self) -> Result<(), String> {
        save(&self.results, &self.opts.out_dir.join("scale.json"))
    }
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

    fn parse(s: &str) -> Result<Options, String> {
        Options::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn defaults_quick_and_overrides() {
        let o = parse("").unwrap();
        assert_eq!(o.connections, vec![1, 10, 64, 256, 512, 1000]);
        assert_eq!((o.duration_s, o.latency_requests, o.startups), (5, 1000, 5));
        assert_eq!(o.sections, Section::ALL.to_vec());
        let q = parse("--quick --frameworks kiln,hyper --sections h2,sweep").unwrap();
        assert_eq!((q.duration_s, q.warmup_s, q.latency_requests), (1, 0, 200));
        assert_eq!(q.frameworks, vec!["kiln", "hyper"]);
        assert_eq!(q.sections, vec![Section::H2, Section::Sweep]);
        let o = parse("--quick --duration 3 --connections 8,16").unwrap();
        assert_eq!((o.duration_s, o.connections.clone()), (3, vec![8, 16]));
        assert!(parse("--frameworks nginx").is_err());
        assert!(parse("--sections nope").is_err());
        assert!(parse("--connections 0").is_err());
        assert!(parse("--bogus").is_err());
    }

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
