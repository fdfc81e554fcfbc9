//! The `shop` section of the report: per database, each framework's CPU µs
//! per request (the server's, and with Postgres' own beside it), kiln ÷
//! axum and kiln ÷ actix on both, then req/s. No latency: wrk's
//! coordinated-omission correction takes one response per sample, and a
//! sample here is a batch of two, so it adds samples below the minimum and
//! the percentiles it reports are wrong (p99 comes out as 0).

use std::fmt::Write as _;

use super::super::results::Key;
use super::super::scenario::Scenario;
use super::super::summary::{Row, Summary};
use super::super::tfb::DbKind;

/// The frameworks of the section, in column order.
const FRAMEWORKS: [&str; 3] = ["kiln", "axum", "actix"];

fn key(framework: &str, db: DbKind) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario: Scenario::Shop,
        variant: Some(format!("db={}", db.name())),
        endpoint: "order".to_owned(),
    }
}

/// The server's CPU and the database server's, when it has one (not SQLite).
fn with_db(r: &Row) -> Option<f64> {
    r.db_cpu.as_ref().map(|d| r.cpu.median + d.median)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".to_owned(),
    }
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// Appends the section at connection count `c`, if the results have `shop` runs.
pub fn section(md: &mut String, summary: &Summary, c: u32) {
    let row = |f: &str, db| summary.rows.get(&(key(f, db), c));
    let dbs: Vec<DbKind> = [DbKind::Postgres, DbKind::Sqlite]
        .into_iter()
        .filter(|&db| FRAMEWORKS.iter().any(|f| row(f, db).is_some()))
        .collect();
    if dbs.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Shop: create-order under contention, kiln's `examples/shop` against axum + sqlx and actix-web + sqlx (c={c})\n\n\
         Medians. Every connection sends batches of two pipelined requests, add-to-cart of the \
         same hot product and checkout, each batch by a new user; the same schema and SQL on \
         every server, one transaction per request. A request is half an order. No latency: \
         wrk's correction for coordinated omission miscounts pipelined batches. CPU is the server's; + db adds Postgres' (SQLite runs in \
         the server). The stock was audited from the database after every run.\n"
    );
    let _ = writeln!(
        md,
        "| db | kiln CPU µs/req | axum | actix | kiln ÷ axum | kiln ÷ actix | kiln + db | axum + db | actix + db | kiln ÷ axum (with db) | kiln ÷ actix (with db) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for &db in &dbs {
        let cpu = FRAMEWORKS.map(|f| row(f, db).map(|r| r.cpu.median));
        let all = FRAMEWORKS.map(|f| row(f, db).and_then(with_db));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            db.name(),
            num(cpu[0], 1),
            num(cpu[1], 1),
            num(cpu[2], 1),
            ratio(cpu[0], cpu[1]),
            ratio(cpu[0], cpu[2]),
            num(all[0], 1),
            num(all[1], 1),
            num(all[2], 1),
            ratio(all[0], all[1]),
            ratio(all[0], all[2]),
        );
    }
    let _ = writeln!(
        md,
        "\n| db | kiln req/s | axum req/s | actix req/s |\n\
         | --- | ---: | ---: | ---: |"
    );
    for &db in &dbs {
        let rps = FRAMEWORKS.map(|f| row(f, db).map(|r| r.rps.median));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            db.name(),
            num(rps[0], 0),
            num(rps[1], 0),
            num(rps[2], 0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cpu: f64, db: Option<f64>) -> Row {
        Row::fixture(cpu, db)
    }

    #[test]
    fn ratios_against_both_peers_with_and_without_the_database() {
        let mut summary = Summary::default();
        let mut md = String::new();
        section(&mut md, &summary, 64);
        assert!(md.is_empty(), "no shop rows, no section");
        for (f, cpu, db) in [
            ("kiln", 40.0, 20.0),
            ("axum", 50.0, 30.0),
            ("actix", 80.0, 40.0),
        ] {
            summary
                .rows
                .insert((key(f, DbKind::Postgres), 64), row(cpu, Some(db)));
        }
        summary
            .rows
            .insert((key("axum", DbKind::Sqlite), 64), row(80.0, None));
        section(&mut md, &summary, 64);
        // 40 / 50 and 40 / 80 for the server; 60 / 80 and 60 / 120 with Postgres.
        assert!(
            md.contains("| postgres | 40.0 | 50.0 | 80.0 | 0.80× | 0.50× | 60.0 | 80.0 | 120.0 | 0.75× | 0.50× |"),
            "{md}"
        );
        assert!(
            md.contains("| sqlite | – | 80.0 | – | – | – | – | – | – | – | – |"),
            "{md}"
        );
        assert!(md.contains("| postgres | 1000 | 1000 | 1000 |\n"), "{md}");
    }
}
