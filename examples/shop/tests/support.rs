//! Databases for the tests (a SQLite file or memory, a fresh Postgres
//! database), and queries that check what the API wrote.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::AssertSqlSafe;

use crate::db::Database;

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated, seeded database, and the directory a SQLite file lives in
/// (removed on drop).
pub(crate) struct TestDb {
    pub(crate) db: Database,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An in-memory SQLite database (one connection), for the in-process flows.
pub(crate) async fn sqlite_memory() -> TestDb {
    TestDb {
        db: Database::open("sqlite::memory:").await.unwrap(),
        dir: None,
    }
}

/// A SQLite file in a fresh directory: WAL, a writer and a read pool, as
/// the example runs.
pub(crate) async fn sqlite_file() -> TestDb {
    let dir = std::env::temp_dir().join(format!("kiln-shop-test-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("shop.db").display());
    TestDb {
        db: Database::open(&url).await.unwrap(),
        dir: Some(dir),
    }
}

/// Whether a missing service fails the test instead of skipping it.
fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var("KILN_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A fresh database on the `KILN_TEST_POSTGRES_URL` server, migrated and
/// seeded; `None` (with a SKIP line) without a server, a panic when one is
/// required.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
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
    let name = format!("kiln_shop_test_{}", unique());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(TestDb {
        db: Database::open(&format!("{base}/{name}")).await.unwrap(),
        dir: None,
    })
}

/// Runs `sql` (the test's own, no parameters) on the writer, outside any
/// request; what the database answered.
pub(crate) async fn try_exec(db: &Database, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql);
    match db {
        Database::Sqlite(d) => sqlx::query(sql).execute(d.write_pool()).await.map(drop),
        Database::Postgres(d) => sqlx::query(sql).execute(d.write_pool()).await.map(drop),
    }
}

/// Runs `sql`, which must succeed.
pub(crate) async fn exec(db: &Database, sql: &str) {
    try_exec(db, sql).await.unwrap();
}

/// The one integer `sql` answers (`count(*)`, a stock).
pub(crate) async fn scalar(db: &Database, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql);
    match db {
        Database::Sqlite(d) => sqlx::query_scalar(sql).fetch_one(d.write_pool()).await,
        Database::Postgres(d) => sqlx::query_scalar(sql).fetch_one(d.write_pool()).await,
    }
    .unwrap()
}
