//! Databases for the tests (a SQLite file or memory, a fresh Postgres
//! database), and queries that check what the API wrote.

use std::path::PathBuf;

use sqlx::AssertSqlSafe;

use super::common::{fresh_postgres, unique};
use crate::db::Database;

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
    let dir = std::env::temp_dir().join(unique("kiln-shop-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("shop.db").display());
    TestDb {
        db: Database::open(&url).await.unwrap(),
        dir: Some(dir),
    }
}

/// A fresh database on the `KILN_TEST_POSTGRES_URL` server, migrated and
/// seeded; `None` (with a SKIP line) without a server, a panic when one is
/// required.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
    let url = fresh_postgres(test, "kiln_shop_test").await?;
    Some(TestDb {
        db: Database::open(&url).await.unwrap(),
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
