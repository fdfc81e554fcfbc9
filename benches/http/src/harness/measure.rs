//! One framework on one case in one round: the allocation-counting run and
//! the timed `wrk` runs at each connection count.

use std::path::Path;

use super::super::alloc;
use super::super::cache;
use super::super::check;
use super::super::launch::Server;
use super::super::procfs;
use super::super::ratelimit::RedisServer;
use super::super::realworld;
use super::super::results::{AllocCount, Measurement, WrkErrors};
use super::super::scenario::{Case, Request, Scenario};
use super::super::shop::{self, audit};
use super::super::stats::ratio;
use super::super::tasks;
use super::super::tfb::{self, DbKind};
use super::{Run, case_db, example, key};

impl Run<'_> {
    /// One framework on one case in one round.
    pub(super) fn one(&mut self, round: u32, framework: &str, case: &Case) {
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
