//! The database, SQLite or Postgres by the URL: one [`Database`] singleton,
//! and the request-scoped [`Tx`] (every write) and [`Read`] that wrap
//! `kiln::db`'s of the backend in use.
//!
//! kiln's DI is keyed by type and each backend has its own `Tx` type, so an
//! app that picks its backend at startup holds an enum of the two (the
//! pattern Conduit uses). Most queries are written once, inside [`on!`],
//! which compiles them for both connections (`$1` parameters, `RETURNING`
//! and `ON CONFLICT` are common ground); full-text search is the one place
//! the SQL differs, and matches on [`Conn`] itself.

use kiln::Finish;
use kiln::db::sqlx::migrate::Migrator;
use kiln::db::{DbError, postgres, sqlite};
use kiln::prelude::*;

/// `examples/migrations/shop/*`: the schema and the seed catalog, embedded.
static SQLITE: Migrator = sqlx::migrate!("migrations/shop/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/shop/postgres");

/// The app's database.
#[derive(Clone, Debug)]
pub(crate) enum Database {
    Sqlite(sqlite::Db),
    Postgres(postgres::Db),
}

impl Database {
    /// Opens `url` (`sqlite://file.db`, `sqlite::memory:` or
    /// `postgres://...`) and runs the migrations (which seed the catalog).
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
/// a success, rolled back (and awaited) otherwise.
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
pub(crate) async fn tx(db: &Database) -> Result<Tx, Error> {
    Ok(match db {
        Database::Sqlite(db) => Tx::Sqlite(db.begin().await?),
        Database::Postgres(db) => Tx::Postgres(db.begin().await?),
    })
}

/// Takes a read connection for the request.
#[provider(finish)]
pub(crate) async fn read(db: &Database) -> Result<Read, Error> {
    Ok(match db {
        Database::Sqlite(db) => Read::Sqlite(db.read().await?),
        Database::Postgres(db) => Read::Postgres(db.read().await?),
    })
}
