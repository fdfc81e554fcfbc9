//! Test helpers the examples share (included by each example's `tests`
//! module with `#[path]`): unique names, and a fresh database on the
//! Postgres test server, skipped loudly without one.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// `{prefix}_{pid}_{n}`: a name no other test of this run uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a missing service fails the test instead of skipping it.
fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var("KILN_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The URL of a new, empty database (named `{prefix}_…`) on the
/// `KILN_TEST_POSTGRES_URL` server; `None`, with a SKIP line, without a
/// server; a panic when CI or `KILN_REQUIRE_SERVICES=1` requires one.
pub(crate) async fn fresh_postgres(test: &str, prefix: &str) -> Option<String> {
    let admin = match std::env::var("KILN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if services_required() => panic!(
            "{test}: KILN_TEST_POSTGRES_URL is not set, and CI / KILN_REQUIRE_SERVICES=1 require \
             Postgres: run `eval \"$(bash .ci/postgres.sh start)\"` first"
        ),
        _ => {
            // Straight to stderr: the test harness captures `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: KILN_TEST_POSTGRES_URL is not set (start a throwaway server with \
                 `eval \"$(bash .ci/postgres.sh start)\"`)"
            );
            return None;
        }
    };
    let name = unique(prefix);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}
