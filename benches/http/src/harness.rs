//! The `bench` run loop: build the servers, then for every round, case and
//! framework (interleaved) start the server pinned to one CPU, check its
//! responses against the reference, warm up, run `wrk` pinned to another CPU
//! at each connection count while reading the server's CPU time and peak RSS
//! from `/proc`, count allocations in one more run, and stop the server.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::alloc;
use super::cache;
use super::check;
use super::launch::{
    Pinning, Server, Start, StartError, pinning, release_build, start, target_dir,
};
use super::machine;
use super::procfs;
use super::ratelimit::{self, RedisServer};
use super::realworld;
use super::results::{AllocCount, Config, Key, Measurement, Results, Skip, WrkErrors};
use super::scenario::{self, Case, Request, Scenario};
use super::shop::{self, audit};
use super::tasks;
use super::tfb::{self, DbKind, setup};
use super::upstream;
use super::wrk::{self, WrkRun};

/// Every framework with a peer server, in report order.
pub const FRAMEWORKS: [&str; 5] = ["kiln", "axum", "actix", "hyper", "nginx"];

/// The `bench` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// Frameworks to run.
    pub frameworks: Vec<String>,
    /// The short mode: one round, one connection count, short runs.
    pub quick: bool,
    /// Where the JSON goes.
    pub out: PathBuf,
    /// Rounds.
    pub rounds: u32,
    /// Seconds per timed run.
    pub duration_s: u32,
    /// Seconds of warm-up per endpoint.
    pub warmup_s: u32,
    /// Connection counts.
    pub connections: Vec<u32>,
    /// Seconds of each allocation-counting run.
    pub alloc_s: u32,
    /// Server worker threads.
    pub workers: usize,
    /// Build the servers with cargo first.
    pub build: bool,
    /// Where the `server_*` binaries are (default: `<target>/release`).
    pub server_dir: Option<PathBuf>,
    /// First port to use (each server start takes two).
    pub base_port: u16,
}

/// The usage text.
pub const USAGE: &str = "\
usage: bench [--scenario all|basic|middleware|middleware-depth|di|files|compression|db|tx|cache|ratelimit-redis|tasks|validation|async|realworld|shop[,..]] [--quick]
             [--frameworks kiln,axum,actix,hyper,nginx] [--out results.json]
             [--rounds N] [--duration S] [--warmup S] [--connections 16,64,256]
             [--alloc-duration S] [--workers N] [--no-build] [--server-dir DIR] [--port P]";

fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| format!("{flag}: {e}"))
}

impl Options {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A message naming the bad argument.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
        let mut scenarios = Scenario::ALL.to_vec();
        let mut frameworks: Vec<String> = FRAMEWORKS.iter().map(|s| (*s).to_owned()).collect();
        let mut quick = false;
        let mut out = machine::workspace_root().join("benches/results/results.json");
        let (mut rounds, mut duration, mut warmup, mut conns, mut alloc_s) =
            (None, None, None, None, None);
        let mut workers = 1;
        let mut build = true;
        let mut server_dir = None;
        let mut base_port = 18_080;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--scenario" | "--scenarios" => {
                    let v = value()?;
                    scenarios = if v == "all" {
                        Scenario::ALL.to_vec()
                    } else {
                        list(&v).map(str::parse).collect::<Result<_, _>>()?
                    };
                }
                "--frameworks" | "--framework" => {
                    let v = value()?;
                    frameworks = list(&v).map(str::to_owned).collect();
                    if let Some(bad) = frameworks
                        .iter()
                        .find(|f| !FRAMEWORKS.contains(&f.as_str()))
                    {
                        return Err(format!(
                            "unknown framework `{bad}` ({})",
                            FRAMEWORKS.join(", ")
                        ));
                    }
                }
                "--quick" => quick = true,
                "--out" => out = PathBuf::from(value()?),
                "--rounds" => rounds = Some(number(&flag, &value()?)?),
                "--duration" => duration = Some(number(&flag, &value()?)?),
                "--warmup" => warmup = Some(number(&flag, &value()?)?),
                "--alloc-duration" => alloc_s = Some(number(&flag, &value()?)?),
                "--connections" => {
                    let v = value()?;
                    conns = Some(
                        list(&v)
                            .map(|c| number(&flag, c))
                            .collect::<Result<Vec<u32>, _>>()?,
                    );
                }
                "--workers" => workers = number(&flag, &value()?)?,
                "--no-build" => build = false,
                "--server-dir" => server_dir = Some(PathBuf::from(value()?)),
                "--port" => base_port = number(&flag, &value()?)?,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let connections = conns.unwrap_or_else(|| if quick { vec![64] } else { vec![16, 64, 256] });
        if scenarios.is_empty() || frameworks.is_empty() || connections.is_empty() {
            return Err("nothing to run".into());
        }
        Ok(Options {
            scenarios,
            frameworks,
            quick,
            out,
            rounds: rounds.unwrap_or(if quick { 1 } else { 3 }).max(1),
            duration_s: duration.unwrap_or(if quick { 2 } else { 5 }).max(1),
            warmup_s: warmup.unwrap_or(if quick { 0 } else { 2 }),
            connections,
            alloc_s: alloc_s.unwrap_or(if quick { 1 } else { 2 }).max(1),
            workers,
            build,
            server_dir,
            base_port,
        })
    }

    /// The connection count of the allocation-counting runs: 64 if measured,
    /// else the first.
    #[must_use]
    pub fn alloc_connections(&self) -> u32 {
        if self.connections.contains(&64) {
            64
        } else {
            self.connections[0]
        }
    }
}

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

/// The databases of the `db` and `tx` scenarios, made before the first run.
#[derive(Debug, Default)]
struct Databases {
    postgres: Option<setup::Postgres>,
    sqlite: Option<String>,
}

impl Databases {
    fn make(opts: &Options, scratch: &Path) -> Result<Databases, String> {
        let mut dbs = Databases::default();
        if !opts.scenarios.iter().any(|s| {
            matches!(
                s,
                Scenario::Db
                    | Scenario::Tx
                    | Scenario::Tasks
                    | Scenario::Realworld
                    | Scenario::Shop
            )
        }) {
            return Ok(dbs);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        eprintln!("bench: setting up Postgres (World, Fortune) for db/tx");
        dbs.postgres = Some(rt.block_on(setup::Postgres::start())?);
        eprintln!("bench: setting up SQLite (World, Fortune) for db/tx");
        dbs.sqlite = Some(rt.block_on(setup::sqlite(&scratch.join("tfb.sqlite")))?);
        Ok(dbs)
    }

    fn url(&self, db: DbKind) -> Option<&str> {
        match db {
            DbKind::Postgres => self.postgres.as_ref().map(|p| p.url.as_str()),
            DbKind::Sqlite => self.sqlite.as_deref(),
        }
    }

    /// A fresh, empty database for one server of an app scenario
    /// (`realworld`, `shop`: the server creates the schema): a new SQLite
    /// file, or Postgres' `kiln_<scenario>` dropped and created again.
    fn fresh(&self, db: DbKind, scratch: &Path, scenario: Scenario) -> Result<String, String> {
        match db {
            DbKind::Sqlite => {
                let path = scratch.join(format!("{scenario}.sqlite"));
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = fs::remove_file(PathBuf::from(p));
                }
                Ok(format!("sqlite://{}", path.display()))
            }
            DbKind::Postgres => {
                let pg = self.postgres.as_ref().ok_or("no Postgres")?;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(setup::recreate(&pg.url, &format!("kiln_{scenario}")))
            }
        }
    }

    /// Postgres' pending vacuum work, done before a timed run (see [`setup::settle`]).
    fn settle(&self) -> Result<(), String> {
        let pg = self.postgres.as_ref().ok_or("no Postgres")?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(setup::settle(&pg.url))
    }

    /// The database server process whose CPU counts with the server's.
    fn process(&self, db: DbKind) -> Option<u32> {
        match db {
            DbKind::Postgres => self.postgres.as_ref().and_then(|p| p.postmaster),
            DbKind::Sqlite => None,
        }
    }
}

/// The scenarios whose kiln side is an example app, and the example.
const EXAMPLES: [(Scenario, &str); 2] =
    [(Scenario::Realworld, "conduit"), (Scenario::Shop, "shop")];

/// The example binary that is kiln's server for `case`, if one is: it has
/// no allocation counter, and takes its settings from its own variables.
fn example(framework: &str, case: &Case) -> Option<&'static str> {
    EXAMPLES
        .iter()
        .find(|(s, _)| framework == "kiln" && *s == case.scenario)
        .map(|(_, e)| *e)
}

/// Whether each server start gets a fresh database.
fn fresh_db(case: &Case) -> bool {
    EXAMPLES.iter().any(|(s, _)| *s == case.scenario)
}

/// The database of a `db`/`tx` case (from its `--db` argument).
fn case_db(case: &Case) -> Option<DbKind> {
    case.server_args
        .windows(2)
        .find(|w| w[0] == "--db")
        .and_then(|w| w[1].parse().ok())
}

fn key(framework: &str, case: &Case, endpoint: &Request) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario: case.scenario,
        variant: case.variant.clone(),
        endpoint: endpoint.name.clone(),
    }
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
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

    /// One framework on one case in one round.
    fn one(&mut self, round: u32, framework: &str, case: &Case) {
        self.ledger = None;
        if self.skipped(framework, case) {
            return;
        }
        let Some((server, db_url)) = self.launch(framework, case) else {
            return;
        };
        let db = case_db(case);
        // TFB's checks first: the server's `/cached-queries` cache was filled at
        // startup, and the plain checks below run `/updates`.
        let tfb_check = match (case.scenario, db, &db_url) {
            (Scenario::Db, Some(db), Some(url)) => tfb::verify::db_server(tfb::verify::Target {
                port: server.port,
                db,
                url,
            }),
            (Scenario::Tx, _, _) => tfb::verify::tx_server(server.port),
            _ => Ok(()),
        };
        if let Err(why) = tfb_check {
            eprintln!(
                "bench: {framework} {} DOES NOT CONFORM to TFB's rules:\n{why}",
                case.label()
            );
            self.skip(framework, case, "check-failed", why);
            return;
        }
        // The shop's stock set in its database, then its checks.
        if case.scenario == Scenario::Shop {
            let ready = db
                .zip(db_url.as_deref())
                .ok_or_else(|| "no database".to_owned())
                .and_then(|(db, url)| audit::Ledger::new(db, url))
                .and_then(|ledger| shop::prepare(server.port, &ledger).map(|()| ledger));
            match ready {
                Ok(ledger) => self.ledger = Some(ledger),
                Err(why) => {
                    eprintln!(
                        "bench: {framework} {} FAILS the shop checks:\n{why}",
                        case.label()
                    );
                    self.skip(framework, case, "check-failed", why);
                    return;
                }
            }
        }
        // RealWorld's set-up through the API, then its checks; the case is
        // bound to this server's token and article.
        let bound;
        let case = if case.scenario == Scenario::Realworld {
            match realworld::prepare(server.port, case) {
                Ok(c) => {
                    bound = c;
                    &bound
                }
                Err(why) => {
                    eprintln!(
                        "bench: {framework} {} FAILS the RealWorld checks:\n{why}",
                        case.label()
                    );
                    self.skip(framework, case, "check-failed", why);
                    return;
                }
            }
        } else {
            case
        };
        if let Err(why) = check::check_case(server.port, case) {
            self.skip(framework, case, "check-failed", why);
            return;
        }
        let label = format!("{framework} {}", case.label());
        if !self.results.checked.contains(&label) {
            self.results.checked.push(label);
        }
        for (n, endpoint) in case.endpoints.iter().enumerate() {
            if let Err(why) = self.endpoint(round, framework, case, &server, n, endpoint) {
                self.skip(
                    framework,
                    case,
                    "error",
                    format!("{}: {why}", endpoint.name),
                );
                break;
            }
        }
        self.ledger = None;
    }

    /// The allocation count of one endpoint: a run with the server's counter on.
    fn allocations(
        &mut self,
        round: u32,
        framework: &str,
        case: &Case,
        server: &Server,
        script: &Path,
        endpoint: &Request,
    ) -> Result<(), String> {
        let connections = self.opts.alloc_connections();
        let a0 = alloc::query(server.alloc_port, alloc::Command::Start)
            .map_err(|e| format!("allocation counter: {e}"))?;
        let out = self.wrk(
            server.port,
            script,
            endpoint,
            connections,
            self.opts.alloc_s,
        )?;
        let a1 = alloc::query(server.alloc_port, alloc::Command::Stop)
            .map_err(|e| format!("allocation counter: {e}"))?;
        let allocations = a1.saturating_sub(a0);
        let per_request = ratio(allocations, out.requests);
        eprintln!(
            "  [round {}] {framework:<5} {:<28} allocations {per_request:.2}/req",
            round + 1,
            format!("{}/{}", case.label(), endpoint.name)
        );
        self.results.allocations.push(AllocCount {
            key: key(framework, case, endpoint),
            connections,
            requests: out.requests,
            allocations,
            per_request,
        });
        Ok(())
    }

    // One timed run's readings, each before or after `wrk` in the order they must be taken.
    #[allow(clippy::too_many_lines)]
    fn endpoint(
        &mut self,
        round: u32,
        framework: &str,
        case: &Case,
        server: &Server,
        n: usize,
        endpoint: &Request,
    ) -> Result<(), String> {
        let opts = self.opts;
        let pid = server.child.id();
        // The CPU of the database server (Postgres, or Redis for the limiter) counts too.
        let db_pid = match (case_db(case), case.scenario) {
            (Some(db), _) => self.dbs.process(db),
            (None, Scenario::RatelimitRedis) => self.redis.as_ref().map(RedisServer::pid),
            (None, _) => None,
        };
        let counts_hits =
            case.scenario == Scenario::Cache && cache::COUNTED.contains(&endpoint.name.as_str());
        let runs_jobs =
            case.scenario == Scenario::Tasks && tasks::COUNTED.contains(&endpoint.name.as_str());
        let script = self.script(case, n, endpoint)?;
        let max_conns = opts.connections.iter().copied().max().unwrap_or(64);
        if opts.warmup_s > 0 {
            self.wrk(server.port, &script, endpoint, max_conns, opts.warmup_s)?;
        }
        // Allocations: a run with the counter on, after the warm-up (in `--quick`,
        // where there is none, it is the warm-up of the timed runs). nginx is
        // not ours to instrument, nor are the example binaries: they get the same
        // run uncounted, so every server's timed run follows the same load (on a
        // database, the background work a write load leaves behind lands in it).
        if framework != "nginx" && example(framework, case).is_none() {
            self.allocations(round, framework, case, server, &script, endpoint)?;
        } else {
            let conns = opts.alloc_connections();
            self.wrk(server.port, &script, endpoint, conns, opts.alloc_s)?;
        }
        // A `shop` run may find a checkout of the run before still in flight.
        let carried_over = max_conns.max(opts.alloc_connections());
        for &connections in &opts.connections {
            if case_db(case) == Some(DbKind::Postgres) {
                self.dbs.settle()?;
            }
            // Read before the server's and the database's CPU times, so not counted.
            let books0 = self.ledger.as_ref().map(audit::Ledger::read).transpose()?;
            let busy = || self.pin.server.and_then(|c| procfs::cpu_busy_us(c).ok());
            let busy0 = busy();
            let db_cpu = || db_pid.and_then(|p| procfs::tree_cpu_time_us(p).ok());
            let db0 = db_cpu();
            let computed = || {
                counts_hits
                    .then(|| cache::computed(server.port))
                    .transpose()
            };
            let runs0 = computed()?;
            if runs_jobs {
                // The warm-up's and the allocation run's jobs: started, then forgotten.
                tasks::settle(server.port)?;
            }
            let cpu0 = procfs::cpu_time_us(pid).map_err(|e| format!("server gone: {e}"))?;
            let out = self.wrk(server.port, &script, endpoint, connections, opts.duration_s)?;
            // The run's jobs start before its CPU is read: running them is their cost.
            let start_delays = runs_jobs.then(|| tasks::settle(server.port)).transpose()?;
            let cpu1 = procfs::cpu_time_us(pid).map_err(|e| format!("server gone: {e}"))?;
            let runs1 = computed()?;
            let db1 = db_cpu();
            let busy1 = busy();
            let rss = procfs::peak_rss_kib(pid).unwrap_or(0);
            if let (Some(ledger), Some(before)) = (&self.ledger, books0) {
                let run = audit::Counted::of(&out, connections, carried_over);
                ledger.after(&before, &run).map_err(|why| {
                    eprintln!(
                        "bench: {framework} {} at c={connections} FAILS the stock audit: {why}",
                        case.label()
                    );
                    format!("stock audit: {why}")
                })?;
            }
            let cpu = cpu1.saturating_sub(cpu0);
            let m = Measurement {
                key: key(framework, case, endpoint),
                connections,
                round,
                requests: out.requests,
                duration_s: ratio(out.duration_us, 1_000_000),
                rps: ratio(out.requests * 1_000_000, out.duration_us),
                latency_us: out.latency_us,
                errors: expected_errors(out.errors, endpoint),
                cpu_us_per_req: ratio(cpu, out.requests),
                server_cpu_util: ratio(cpu, out.duration_us),
                peak_rss_kib: rss,
                other_util: busy0.zip(busy1).map(|(b0, b1)| {
                    ratio(b1.saturating_sub(b0).saturating_sub(cpu), out.duration_us)
                }),
                db_cpu_us_per_req: db0
                    .zip(db1)
                    .map(|(a, b)| ratio(b.saturating_sub(a), out.requests)),
                hit_ratio: runs0
                    .zip(runs1)
                    .map(|(a, b)| (1.0 - ratio(b.saturating_sub(a), out.requests)).max(0.0)),
                start_delays,
            };
            eprintln!(
                "  [round {}] {framework:<5} {:<28} c={connections:<4} {:>9.0} req/s  p50 {:>7.0} µs  p99 {:>7.0} µs  cpu {:>6.2} µs/req ({:>3.0}%){}{}  rss {:>6} KiB  others {:>3.0}%{}",
                round + 1,
                format!("{}/{}", case.label(), endpoint.name),
                m.rps,
                m.latency_us.p50,
                m.latency_us.p99,
                m.cpu_us_per_req,
                m.server_cpu_util * 100.0,
                m.db_cpu_us_per_req
                    .map_or(String::new(), |d| format!(" + db {d:.2} µs/req")),
                m.hit_ratio
                    .map(|h| format!("  hits {:.2}%", h * 100.0))
                    .or_else(|| m.start_delays.map(|d| format!(
                        "  {} jobs, start p50 {} µs p99 {} µs",
                        d.started, d.p50_us, d.p99_us
                    )))
                    .unwrap_or_default(),
                rss,
                m.other_util.unwrap_or(0.0) * 100.0,
                if m.errors.total() > 0 {
                    format!("  ERRORS {:?}", m.errors)
                } else {
                    String::new()
                },
            );
            self.results.measurements.push(m);
        }
        Ok(())
    }
}

/// wrk counts every response that is not 2xx/3xx as an error: an endpoint
/// whose reference is a 4xx (the invalid `validation` payload; checked before
/// timing) is not in error for answering it.
fn expected_errors(mut errors: WrkErrors, endpoint: &Request) -> WrkErrors {
    if endpoint.expect.status >= 400 {
        errors.status = 0;
    }
    errors
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Options, String> {
        Options::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn quick_defaults_and_overrides() {
        let o = parse("--quick --scenario basic --frameworks axum,hyper").unwrap();
        assert_eq!(o.scenarios, vec![Scenario::Basic]);
        assert_eq!(o.frameworks, vec!["axum", "hyper"]);
        assert_eq!(
            (o.rounds, o.duration_s, o.connections.clone()),
            (1, 2, vec![64])
        );
        let o = parse("--scenario middleware,di --connections 8,32 --rounds 2").unwrap();
        assert_eq!(o.scenarios, vec![Scenario::Middleware, Scenario::Di]);
        assert_eq!((o.rounds, o.alloc_connections()), (2, 8));
        assert!(parse("--frameworks rocket").is_err());
        assert!(parse("--scenario nope").is_err());
        assert_eq!(
            parse("--scenario all").unwrap().scenarios.len(),
            Scenario::ALL.len()
        );
    }
}
