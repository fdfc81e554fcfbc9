//! The `tasks` scenario's section of the report: per database, each
//! endpoint's req/s, CPU per request (running the job included; Postgres's
//! own CPU beside it), p99, and the jobs' start delays.

use std::fmt::Write as _;

use super::super::results::{Key, Results};
use super::super::scenario::Scenario;
use super::super::stats::Spread;
use super::super::summary::Summary;
use super::super::tfb::DbKind;

/// Appends the section, if the results have `tasks` runs.
pub fn section(md: &mut String, results: &Results, summary: &Summary, connections: &[u32]) {
    let key = |db: DbKind, endpoint: &str| Key {
        framework: "kiln".to_owned(),
        scenario: Scenario::Tasks,
        variant: Some(format!("db={}", db.name())),
        endpoint: endpoint.to_owned(),
    };
    let has_any = summary
        .rows
        .keys()
        .any(|(k, _)| k.scenario == Scenario::Tasks);
    if !has_any {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Background tasks: a job per request (kiln)\n\n\
         Medians over rounds. `/spawn` is `Tasks::spawn` (in process), `/enqueue` writes an outbox \
         job in the request's `Tx` and one `Worker` in the same process runs it; the CPU per \
         request includes running the job (the harness waits for the jobs to start before it \
         reads the CPU). Start delay: from the spawn, or from the enqueue (before the commit), \
         to the job's first instruction. Under wrk's closed loop the queue is as full as the \
         load makes it: at c=1 the delays are an idle queue's.\n"
    );
    let _ = writeln!(
        md,
        "| db | endpoint | c | req/s | CPU µs/req | db CPU µs/req | p99 µs | jobs started / accepted | start p50 µs | start p99 µs |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let med = |v: &[f64]| Spread::of(v).map(|s| s.median);
    for db in [DbKind::Postgres, DbKind::Sqlite] {
        for endpoint in ["hello", "spawn", "enqueue"] {
            for &c in connections {
                let k = key(db, endpoint);
                let Some(row) = summary.rows.get(&(k.clone(), c)) else {
                    continue;
                };
                let runs: Vec<_> = results
                    .measurements
                    .iter()
                    .filter(|m| m.key == k && m.connections == c)
                    .filter_map(|m| m.start_delays)
                    .collect();
                #[allow(clippy::cast_precision_loss)] // counts and µs far below 2^52
                let pick = |f: fn(&super::StartDelays) -> u64| {
                    med(&runs.iter().map(|d| f(d) as f64).collect::<Vec<_>>())
                };
                let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.0}"));
                let jobs = match (pick(|d| d.started), pick(|d| d.accepted)) {
                    (Some(s), Some(a)) => format!("{s:.0} / {a:.0}"),
                    _ => "–".to_owned(),
                };
                let _ = writeln!(
                    md,
                    "| {} | `/{endpoint}` | {c} | {:.0} | {:.2} | {} | {:.0} | {jobs} | {} | {} |",
                    db.name(),
                    row.rps.median,
                    row.cpu.median,
                    row.db_cpu
                        .as_ref()
                        .map_or_else(|| "–".to_owned(), |d| format!("{:.2}", d.median)),
                    row.p99.median,
                    cell(pick(|d| d.p50_us)),
                    cell(pick(|d| d.p99_us)),
                );
            }
        }
    }
}
