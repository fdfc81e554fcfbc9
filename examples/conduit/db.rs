//! The database, SQLite or Postgres by the URL: one [`Database`] singleton,
//! and the request-scoped [`Tx`] (every write) and [`Read`] that wrap
//! `kiln::db`'s of the backend in use.
//!
//! kiln's DI is keyed by type, and a backend is a type (`kiln::db::sqlite::Tx`
//! is not `kiln::db::postgres::Tx`), so an app that picks its backend at
//! startup holds an enum of the two. Each query is written once, inside
//! [`on!`], which compiles it for both connections; the SQL is the subset
//! both speak (`$1` parameters, `RETURNING`, `ON CONFLICT DO NOTHING`).

use kiln::Finish;
use kiln::db::sqlx::migrate::Migrator;
use kiln::db::{DbError, postgres, sqlite};
use kiln::prelude::*;

use crate::error::ApiError;

/// `examples/migrations/conduit/*`, embedded in the binary.
static SQLITE: Migrator = sqlx::migrate!("migrations/conduit/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/conduit/postgres");

/// The app's database.
#[derive(Clone, Debug)]
pub(crate) enum Database {
    Sqlite(sqlite::Db),
    Postgres(postgres::Db),
}

impl Database {
    /// Opens `url` (`sqlite://file.db`, `sqlite::memory:` or
    /// `postgres://...`) and runs the migrations.
    pub(crate) async fn open(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let db = postgres::Db::builder(url)
                .migrations(&POSTGRES)
                .connect()
                .await?;
            Ok(Database::Postgres(db))
        } else {
            let db = sqlite::Db::builder(url)
                .migrations(&SQLITE)
                .connect()
                .await?;
            Ok(Database::Sqlite(db))
        }
    }

    /// `"SQLite"` or `"Postgres"`, for the startup log.
    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "SQLite",
            Database::Postgres(_) => "Postgres",
        }
    }
}

/// A connection of either backend, what [`on!`] dispatches on.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut sqlx::SqliteConnection),
    Postgres(&'c mut sqlx::PgConnection),
}

/// Runs `$body` with `$c` bound to the connection, compiled once per backend:
/// `on!(conn, c => sqlx::query("...").bind(x).execute(c).await)`.
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on;

/// The request's write transaction: committed by kiln when the response is
/// a success, rolled back otherwise.
pub(crate) enum Tx {
    Sqlite(sqlite::Tx),
    Postgres(postgres::Tx),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

impl Finish for Tx {
    async fn finish(self, res: &mut Response) {
        match self {
            Tx::Sqlite(tx) => tx.finish(res).await,
            Tx::Postgres(tx) => tx.finish(res).await,
        }
    }
}

/// A read connection for the request (SQLite: from the read-only pool).
pub(crate) enum Read {
    Sqlite(sqlite::DbRead),
    Postgres(postgres::DbRead),
}

impl Read {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Read::Sqlite(r) => Conn::Sqlite(r),
            Read::Postgres(r) => Conn::Postgres(r),
        }
    }
}

impl Finish for Read {
    async fn finish(self, res: &mut Response) {
        match self {
            Read::Sqlite(r) => r.finish(res).await,
            Read::Postgres(r) => r.finish(res).await,
        }
    }
}

/// Begins the request's transaction, just before its first user.
#[provider(finish)]
pub(crate) async fn tx(db: &Database) -> Result<Tx, ApiError> {
    Ok(match db {
        Database::Sqlite(db) => Tx::Sqlite(db.begin().await?),
        Database::Postgres(db) => Tx::Postgres(db.begin().await?),
    })
}

/// Takes a read connection for the request.
#[provider(finish)]
pub(crate) async fn read(db: &Database) -> Result<Read, ApiError> {
    Ok(match db {
        Database::Sqlite(db) => Read::Sqlite(db.read().await?),
        Database::Postgres(db) => Read::Postgres(db.read().await?),
    })
}
