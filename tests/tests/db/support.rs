//! Databases for the tests: a SQLite file in a fresh temporary directory, or
//! a fresh database on the Postgres server `KILN_TEST_POSTGRES_URL` names.

#![allow(dead_code)] // each module uses some of these

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kiln::db::postgres;
use kiln::db::sqlite;
use kiln::db::sqlx::{self, migrate::Migrator};

/// The tables every test uses (`migrations/`), embedded at build time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("tests/db/migrations");

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A directory removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("kiln-db-test-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// A `sqlite://` URL for `name` in this directory.
    pub(crate) fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite://{}", self.0.join(name).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A migrated database and what must outlive it (a SQLite file's directory).
pub(crate) struct Fixture<D> {
    pub(crate) db: D,
    pub(crate) dir: Option<TempDir>,
}

/// A SQLite file database in a fresh directory, migrated.
pub(crate) async fn sqlite_db(
    _test: &str,
    configure: impl FnOnce(sqlite::Builder) -> sqlite::Builder,
) -> Option<Fixture<sqlite::Db>> {
    let dir = TempDir::new();
    let builder = sqlite::Db::builder(&dir.sqlite_url("test.db")).migrations(&MIGRATOR);
    let db = configure(builder).connect().await.unwrap();
    Some(Fixture { db, dir: Some(dir) })
}

/// Whether a missing service fails the test instead of skipping it.
fn services_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var("KILN_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The Postgres server to test against, or `None` (with a loud SKIP line)
/// on a machine without one. In CI (`CI` set) or with
/// `KILN_REQUIRE_SERVICES=1`, a missing server fails the test instead.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("KILN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if services_required() => panic!(
            "{test}: KILN_TEST_POSTGRES_URL is not set, and CI / KILN_REQUIRE_SERVICES=1 require \
             Postgres: run `eval \"$(.ci/postgres.sh start)\"` first (see CONTRIBUTING.md)"
        ),
        _ => {
            // Straight to stderr: the test harness captures `eprintln!`.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: KILN_TEST_POSTGRES_URL is not set (start a throwaway server with \
                 `eval \"$(.ci/postgres.sh start)\"`, see CONTRIBUTING.md)"
            );
            None
        }
    }
}

/// A fresh, empty database on the test server: `(admin URL, its URL)`.
pub(crate) async fn postgres_fresh(test: &str) -> Option<(String, String)> {
    let admin = postgres_url(test)?;
    let name = format!("kiln_test_{}", unique());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    Some((admin, url))
}

/// A fresh Postgres database, migrated; `None` (skipped) without a server.
pub(crate) async fn postgres_db(
    test: &str,
    configure: impl FnOnce(postgres::Builder) -> postgres::Builder,
) -> Option<Fixture<postgres::Db>> {
    let (_, url) = postgres_fresh(test).await?;
    let builder = postgres::Db::builder(&url)
        .max_connections(5)
        .migrations(&MIGRATOR);
    let db = configure(builder).connect().await.unwrap();
    Some(Fixture { db, dir: None })
}

/// Guards a test against a hang: what "within the acquire timeout" means
/// here is "long before this".
pub(crate) async fn no_hang<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for 20 s"))
}
