//! The database plumbing of the application peers (`realworld`, `shop`):
//! one binary serves SQLite or Postgres (`--db`), so, like kiln's example
//! apps, each query is written once and run on the backend's connection by
//! `on!`.
//!
//! SQLite gets kiln's settings (one writer with `BEGIN IMMEDIATE`, four
//! read-only readers, WAL: [`pools::lite`]); Postgres a pool of
//! [`KILN_PG_POOL`], kiln's default. [`open`] runs the app's migration files
//! first, on a fresh database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, PgConnection, SqliteConnection};

use super::tfb::DbKind;
use super::tfb::sql::pools;

/// kiln's default Postgres pool size (`kiln::db`'s `max_connections`).
pub const KILN_PG_POOL: u32 = 10;

/// The database: Postgres' pool, or SQLite's writer and readers.
#[derive(Clone, Debug)]
pub enum Db {
    /// Postgres.
    Pg(PgPool),
    /// SQLite.
    Lite(pools::Lite),
}

/// A connection of either backend, what `on!` dispatches on.
pub enum Conn<'c> {
    /// Postgres.
    Pg(&'c mut PgConnection),
    /// SQLite.
    Lite(&'c mut SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's connection, compiled once
/// per backend: `on!(tx.conn(), c => sqlx::query("...").execute(c).await.map(drop))`.
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::app_db::Conn::Pg($c) => $body,
            $crate::app_db::Conn::Lite($c) => $body,
        }
    };
}
pub(crate) use on;

/// A pooled read connection.
pub enum Held {
    /// Postgres.
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
    /// SQLite (a read-only reader).
    Lite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

/// An open write transaction.
pub enum Tx {
    /// Postgres.
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    /// SQLite (on the one writer).
    Lite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl Db {
    /// A read connection (SQLite: from the read-only pool).
    ///
    /// # Errors
    /// When the pool times out.
    pub async fn read(&self) -> sqlx::Result<Held> {
        Ok(match self {
            Db::Pg(p) => Held::Pg(p.acquire().await?),
            Db::Lite(l) => Held::Lite(l.read.acquire().await?),
        })
    }

    /// Begins a write transaction.
    ///
    /// # Errors
    /// When the pool times out or `BEGIN` fails.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Pg(p) => Tx::Pg(p.begin().await?),
            // A deferred transaction that reads first fails with SQLITE_BUSY_SNAPSHOT under load.
            Db::Lite(l) => Tx::Lite(l.write.begin_with("BEGIN IMMEDIATE").await?),
        })
    }
}

impl Held {
    /// The connection, for `on!`.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Held::Pg(c) => Conn::Pg(c),
            Held::Lite(c) => Conn::Lite(c),
        }
    }
}

impl Tx {
    /// The transaction's connection, for `on!`.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Pg(t) => Conn::Pg(t),
            Tx::Lite(t) => Conn::Lite(t),
        }
    }

    /// Commits.
    ///
    /// # Errors
    /// What the database answered.
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Pg(t) => t.commit().await,
            Tx::Lite(t) => t.commit().await,
        }
    }

    /// Rolls back, and waits for it (as kiln's `Tx` does on an error response).
    ///
    /// # Errors
    /// What the database answered.
    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Pg(t) => t.rollback().await,
            Tx::Lite(t) => t.rollback().await,
        }
    }
}

/// An app's migration files, per backend, in order.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// SQLite's.
    pub sqlite: &'static [&'static str],
    /// Postgres'.
    pub postgres: &'static [&'static str],
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Runs `migrations` on the fresh database at `url`, then opens the pools.
///
/// # Errors
/// When the database cannot be opened or a migration fails.
pub async fn open(kind: DbKind, url: &str, migrations: Migrations) -> std::io::Result<Db> {
    match kind {
        DbKind::Postgres => {
            let mut conn = PgConnection::connect(url).await.map_err(io)?;
            for sql in migrations.postgres {
                sqlx::raw_sql(*sql).execute(&mut conn).await.map_err(io)?;
            }
            let _ = conn.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(KILN_PG_POOL)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(io)?;
            Ok(Db::Pg(pool))
        }
        DbKind::Sqlite => {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(io)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let mut conn = SqliteConnection::connect_with(&options).await.map_err(io)?;
            for sql in migrations.sqlite {
                sqlx::raw_sql(*sql).execute(&mut conn).await.map_err(io)?;
            }
            let _ = conn.close().await;
            Ok(Db::Lite(pools::lite(url).await.map_err(io)?))
        }
    }
}
