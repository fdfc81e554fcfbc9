//! The `realworld` section of the report: per database and endpoint, each
//! framework's CPU µs per request (the server's, and with Postgres' own
//! beside it), req/s and p99, and kiln ÷ axum on both CPU figures.

use std::fmt::Write as _;

use super::super::results::Key;
use super::super::scenario::Scenario;
use super::super::summary::{Row, Summary};
use super::super::tfb::DbKind;

/// The endpoints, in the case's order.
pub const ENDPOINTS: [&str; 4] = ["list", "get", "create", "favorite"];

fn key(framework: &str, db: DbKind, endpoint: &str) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario: Scenario::Realworld,
        variant: Some(format!("db={}", db.name())),
        endpoint: endpoint.to_owned(),
    }
}

fn db_cpu(r: &Row) -> f64 {
    r.db_cpu.as_ref().map_or(0.0, |d| d.median)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".to_owned()
    }
}

/// Appends the section at connection count `c`, if the results have
/// `realworld` runs of kiln or axum.
pub fn section(md: &mut String, summary: &Summary, c: u32) {
    let row = |f: &str, db, e| summary.rows.get(&(key(f, db, e), c));
    let any = [DbKind::Postgres, DbKind::Sqlite].iter().any(|&db| {
        ENDPOINTS
            .iter()
            .any(|e| row("kiln", db, e).or(row("axum", db, e)).is_some())
    });
    if !any {
        return;
    }
    let _ = writeln!(
        md,
        "\n### RealWorld (Conduit): kiln's `examples/conduit` against axum + sqlx (c={c})\n\n\
         Medians. The same schema and queries; `list` is `GET /api/articles?limit=20` with a \
         token (kiln's response cache serves only anonymous lists), `get` one article, `create` \
         an authenticated `POST` with a title unique per request (both also enqueue the \
         follower notification job in the transaction; no worker runs), `favorite` the same article \
         again and again. CPU is the server's; + db adds Postgres' (SQLite runs in the server).\n"
    );
    let _ = writeln!(
        md,
        "| db | endpoint | kiln CPU µs/req | axum CPU µs/req | kiln ÷ axum | kiln + db | axum + db | kiln ÷ axum (with db) | kiln req/s | axum req/s | kiln p99 µs | axum p99 µs |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let num = |r: Option<&Row>, f: fn(&Row) -> f64, d: usize| {
        r.map_or_else(|| "–".to_owned(), |r| format!("{:.*}", d, f(r)))
    };
    for db in [DbKind::Postgres, DbKind::Sqlite] {
        for e in ENDPOINTS {
            let (k, a) = (row("kiln", db, e), row("axum", db, e));
            if k.is_none() && a.is_none() {
                continue;
            }
            let both = |f: fn(&Row) -> f64| {
                k.zip(a)
                    .map_or_else(|| "–".to_owned(), |(k, a)| ratio(f(k), f(a)))
            };
            let _ = writeln!(
                md,
                "| {} | `{e}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                db.name(),
                num(k, |r| r.cpu.median, 1),
                num(a, |r| r.cpu.median, 1),
                both(|r| r.cpu.median),
                num(k, |r| r.cpu.median + db_cpu(r), 1),
                num(a, |r| r.cpu.median + db_cpu(r), 1),
                both(|r| r.cpu.median + db_cpu(r)),
                num(k, |r| r.rps.median, 0),
                num(a, |r| r.rps.median, 0),
                num(k, |r| r.p99.median, 0),
                num(a, |r| r.p99.median, 0),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cpu: f64, db: Option<f64>) -> Row {
        Row::fixture(cpu, db)
    }

    #[test]
    fn ratios_with_and_without_the_database() {
        let mut summary = Summary::default();
        let mut md = String::new();
        section(&mut md, &summary, 64);
        assert!(md.is_empty(), "no realworld rows, no section");
        let rows = [("kiln", 40.0, 20.0), ("axum", 50.0, 30.0)];
        for (f, cpu, db) in rows {
            summary
                .rows
                .insert((key(f, DbKind::Postgres, "get"), 64), row(cpu, Some(db)));
        }
        summary
            .rows
            .insert((key("axum", DbKind::Sqlite, "create"), 64), row(80.0, None));
        section(&mut md, &summary, 64);
        // 40 / 50 for the server, 60 / 80 with Postgres.
        assert!(
            md.contains("| postgres | `get` | 40.0 | 50.0 | 0.80× | 60.0 | 80.0 | 0.75× |"),
            "{md}"
        );
        assert!(md.contains("| sqlite | `create` | – | 80.0 | – |"), "{md}");
        assert!(
            !md.contains("| `list` |"),
            "no row without measurements: {md}"
        );
    }
}
