//! The `bench` run loop: build the servers, then for every round, case and
//! framework (interleaved) start the server pinned to one CPU, check its
//! responses against the reference, warm up, run `wrk` pinned to another CPU
//! at each connection count while reading the server's CPU time and peak RSS
//! from `/proc`, count allocations in one more run, and stop the server.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::launch::{
    Pinning, Server, Start, StartError, pinning, release_build, start, target_dir,
};
use super::machine;
use super::ratelimit::{self, RedisServer};
use super::realworld;
use super::results::{Config, Key, Results, Skip};
use super::scenario::{self, Case, Request, Scenario};
use super::shop::{self, audit};
use super::tfb;
use super::upstream;
use super::wrk::{self, WrkRun};

mod databases;
mod measure;
mod options;

use databases::{Databases, EXAMPLES, case_db, example, fresh_db};
pub use options::{Options, USAGE};

/// Every framework with a peer server, in report order.
pub const FRAMEWORKS: [&str; 5] = ["kiln", "axum", "actix", "hyper", "nginx"];

/// Builds the release servers with cargo and returns where they are.
fn build_servers(opts: &Options) -> Result<PathBuf, String> {
    if let Some(dir) = &opts.server_dir {
        return Ok(dir.clone());
    }
    let target = target_dir().map_err(|e| format!("cannot locate the target directory: {e}"))?;
    if opts.build {
        release_build(&target, &["-p", "kiln-http-suite", "--bins"])?;
        // kiln's side of `realworld` and `shop` is the example app itself, in the same profile.
        let mut examples = vec!["-p", "kiln-examples"];
        if opts.frameworks.iter().any(|f| f == "kiln") {
            for (scenario, example) in EXAMPLES {
                if opts.scenarios.contains(&scenario) {
                    examples.extend(["--example", example]);
                }
            }
        }
        if examples.len() > 2 {
            release_build(&target, &examples)?;
        }
    }
    Ok(target.join("release"))
}

/// State of one run of the harness.
struct Run<'a> {
    opts: &'a Options,
    pin: Pinning,
    servers: PathBuf,
    scratch: PathBuf,
    next_port: u16,
    results: Results,
    dbs: Databases,
    /// The Redis of `ratelimit-redis`, started before the first run.
    redis: Option<RedisServer>,
    /// The 5 ms upstream of `async`, started before the first run.
    upstream: Option<upstream::Upstream>,
    /// The books of the `shop` server under test, read around its timed runs.
    ledger: Option<audit::Ledger>,
}

fn key(framework: &str, case: &Case, endpoint: &Request) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario: case.scenario,
        variant: case.variant.clone(),
        endpoint: endpoint.name.clone(),
    }
}

impl Run<'_> {
    fn skipped(&self, framework: &str, case: &Case) -> bool {
        self.results.skipped.iter().any(|s| {
            s.framework == framework && s.scenario == case.scenario && s.variant == case.variant
        })
    }

    fn skip(&mut self, framework: &str, case: &Case, kind: &str, reason: String) {
        eprintln!("bench: skip {framework} {}: {kind}: {reason}", case.label());
        self.results.skipped.push(Skip {
            framework: framework.to_owned(),
            scenario: case.scenario,
            variant: case.variant.clone(),
            kind: kind.to_owned(),
            reason,
        });
    }

    fn script(&self, case: &Case, n: usize, req: &Request) -> Result<PathBuf, String> {
        let path = self.scratch.join(format!("endpoint-{n}.lua"));
        let script = if case.scenario == Scenario::Shop {
            // Its own requests: an add and a checkout, pipelined, per new user.
            shop::script()
        } else {
            wrk::script_with_body(&req.headers, req.body.as_deref())
        };
        fs::write(&path, script).map_err(|e| e.to_string())?;
        Ok(path)
    }

    fn wrk(
        &self,
        port: u16,
        script: &Path,
        req: &Request,
        connections: u32,
        seconds: u32,
    ) -> Result<wrk::WrkOutput, String> {
        let url = format!("http://127.0.0.1:{port}{}", req.path);
        wrk::run(&WrkRun {
            cpu: self.pin.load,
            connections,
            seconds,
            script,
            url: &url,
        })
    }

    /// Starts `framework`'s server for `case` (on a fresh database for
    /// `realworld`), with the database URL it was given; `None` (recorded as
    /// a skip) when it did not come up.
    fn launch(&mut self, framework: &str, case: &Case) -> Option<(Server, Option<String>)> {
        let example = example(framework, case);
        let binary = match example {
            Some(e) => self.servers.join("examples").join(e),
            None => self.servers.join(format!("server_{framework}")),
        };
        if !binary.exists() {
            let why = format!("{} not built", binary.display());
            self.skip(framework, case, "unavailable", why);
            return None;
        }
        let port = self.next_port;
        self.next_port = if self.next_port > self.opts.base_port + 400 {
            self.opts.base_port
        } else {
            self.next_port + 2
        };
        let stderr = self.scratch.join(format!("server-{framework}.stderr"));
        let db = case_db(case);
        let db_url = match db {
            Some(d) if fresh_db(case) => match self.dbs.fresh(d, &self.scratch, case.scenario) {
                Ok(url) => Some(url),
                Err(why) => {
                    self.skip(framework, case, "error", format!("fresh database: {why}"));
                    return None;
                }
            },
            _ => db.and_then(|d| self.dbs.url(d)).map(str::to_owned),
        };
        let mut env: Vec<(&'static str, String)> = db_url
            .iter()
            .map(|u| (tfb::DB_URL_ENV, u.clone()))
            .collect();
        let mut args: Vec<String> = vec![
            "--scenario".into(),
            case.scenario.name().into(),
            "--port".into(),
            port.to_string(),
            "--workers".into(),
            self.opts.workers.to_string(),
        ];
        args.extend(case.server_args.iter().cloned());
        match case.scenario {
            Scenario::Realworld => {
                realworld::launch(
                    example.is_some(),
                    port,
                    db_url.as_deref(),
                    &mut env,
                    &mut args,
                );
            }
            Scenario::Shop => {
                shop::launch(
                    example.is_some(),
                    port,
                    db_url.as_deref(),
                    &mut env,
                    &mut args,
                );
            }
            _ => {}
        }
        if let (Scenario::RatelimitRedis, Some(redis)) = (case.scenario, &self.redis) {
            env.push((ratelimit::REDIS_URL_ENV, redis.url.clone()));
        }
        if let (Scenario::Async, Some(up)) = (case.scenario, &self.upstream) {
            env.push((upstream::UPSTREAM_ENV, up.addr.to_string()));
        }
        match start(&Start {
            binary: &binary,
            args,
            port,
            cpu: self.pin.server,
            stderr: &stderr,
            env,
        }) {
            Ok(s) => Some((s, db_url)),
            Err(StartError::Unsupported(why)) => {
                self.skip(framework, case, "unsupported", why);
                None
            }
            Err(StartError::Failed(why)) => {
                self.skip(framework, case, "error", why);
                None
            }
        }
    }
}

/// Writes the results as pretty JSON, creating the directory.
///
/// # Errors
/// On I/O failures.
pub fn save(results: &Results, path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(results).map_err(io::Error::other)?;
    fs::write(path, json + "\n")
}

/// Runs the whole benchmark and writes the results file.
///
/// # Errors
/// When `wrk` cannot be installed, the build fails, or a run fails outright
/// (a server that is unsupported, unavailable or fails its checks is recorded
/// as skipped instead).
pub fn run(opts: &Options) -> Result<Results, String> {
    wrk::ensure_installed()?;
    if opts.frameworks.iter().any(|f| f == "nginx") && opts.scenarios.contains(&Scenario::Files) {
        // A missing nginx is a skip (recorded by its server), not a failure.
        if let Err(e) = super::peers::nginx::ensure_installed() {
            eprintln!("bench: {e}");
        }
    }
    let servers = build_servers(opts)?;
    let pin = pinning();
    let scratch = std::env::temp_dir().join(format!("kiln-bench-{}", std::process::id()));
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let cases: Vec<Case> = opts
        .scenarios
        .iter()
        .flat_map(|&s| scenario::cases(s))
        .collect();
    let dbs = Databases::make(opts, &scratch)?;
    let redis = if opts.scenarios.contains(&Scenario::RatelimitRedis) {
        eprintln!(
            "bench: starting redis-server on {} for ratelimit-redis",
            ratelimit::BENCH_REDIS_PORT
        );
        Some(RedisServer::start()?)
    } else {
        None
    };
    let upstream = if opts.scenarios.contains(&Scenario::Async) {
        let up = upstream::Upstream::start().map_err(|e| format!("async's upstream: {e}"))?;
        eprintln!("bench: upstream for async on {}", up.addr);
        Some(up)
    } else {
        None
    };
    let mut run = Run {
        dbs,
        redis,
        upstream,
        ledger: None,
        opts,
        pin,
        servers,
        scratch: scratch.clone(),
        next_port: opts.base_port,
        results: Results {
            date: machine::now_utc(),
            machine: machine::describe(),
            config: Config {
                quick: opts.quick,
                scenarios: opts.scenarios.clone(),
                frameworks: opts.frameworks.clone(),
                rounds: opts.rounds,
                duration_s: opts.duration_s,
                warmup_s: opts.warmup_s,
                connections: opts.connections.clone(),
                workers: opts.workers,
                server_cpu: pin.server,
                wrk_cpu: pin.load,
                alloc_connections: opts.alloc_connections(),
                alloc_duration_s: opts.alloc_s,
            },
            measurements: Vec::new(),
            allocations: Vec::new(),
            skipped: Vec::new(),
            checked: Vec::new(),
            load_average: vec![machine::load_average()],
        },
    };
    let started = Instant::now();
    for round in 0..opts.rounds {
        eprintln!("bench: round {}/{}", round + 1, opts.rounds);
        for case in &cases {
            // Rotate the framework order every round so no framework always goes first.
            let n = opts.frameworks.len();
            for i in 0..n {
                let framework = &opts.frameworks[(i + round as usize) % n];
                run.one(round, framework, case);
            }
        }
        save(&run.results, &opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    }
    run.results.load_average.push(machine::load_average());
    save(&run.results, &opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    if let Some(pg) = &run.dbs.postgres {
        pg.stop();
    }
    let _ = fs::remove_dir_all(&scratch);
    eprintln!(
        "bench: done in {:.0} s; {} measurements, {} skipped; results in {}",
        started.elapsed().as_secs_f64(),
        run.results.measurements.len(),
        run.results.skipped.len(),
        opts.out.display()
    );
    Ok(run.results)
}
