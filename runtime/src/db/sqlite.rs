//! SQLite (feature `sqlite`): the aliases to use, [`Db::memory`], the
//! `busy_timeout` setting and the `tx` / `read` providers.
//!
//! See the [module docs](super#sqlite) for the settings kiln applies.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Pool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteError, SqliteJournalMode, SqliteSynchronous};

use super::backend::{Pools, locate_in, pool_options, sealed};
use super::builder::Settings;
use super::error::{DbError, DbErrorKind};
use crate::provider;

pub use sqlx::Sqlite;

/// A SQLite database: the singleton to register.
pub type Db = super::Db<Sqlite>;
/// A SQLite write transaction (`BEGIN IMMEDIATE`), request-scoped by [`tx`].
pub type Tx = super::Tx<Sqlite>;
/// A SQLite read-only connection, request-scoped by [`read`].
pub type DbRead = super::DbRead<Sqlite>;
/// Settings for a SQLite [`Db`].
pub type Builder = super::Builder<Sqlite>;

/// Begins the request's write transaction; list it as `request { kiln::db::sqlite::tx }`.
///
/// # Errors
/// As [`Db::begin`](super::Db::begin): `503` when the writer is busy past
/// the acquire timeout.
#[provider(finish)]
pub async fn tx(
    db: &::kiln::db::sqlite::Db,
) -> Result<::kiln::db::sqlite::Tx, ::kiln::db::DbError> {
    db.begin().await
}

/// Takes a read connection for the request; list it as `request { kiln::db::sqlite::read }`.
///
/// # Errors
/// As [`Db::read`](super::Db::read).
#[provider(finish)]
pub async fn read(
    db: &::kiln::db::sqlite::Db,
) -> Result<::kiln::db::sqlite::DbRead, ::kiln::db::DbError> {
    db.read().await
}

impl super::Db<Sqlite> {
    /// A private in-memory database on one connection, which serves both
    /// [`Tx`] and [`DbRead`]: for tests and doctests. Its data lives as long
    /// as the `Db` (the connection is never recycled). A request that takes
    /// both a `Tx` and a `DbRead` waits for itself until the acquire timeout
    /// (`503`): use a file database (a temporary directory) for those.
    ///
    /// # Errors
    /// Hardly: SQLite failing to open.
    pub async fn memory() -> Result<Self, DbError> {
        Self::connect("sqlite::memory:").await
    }
}

impl super::Builder<Sqlite> {
    /// How long a statement waits for a lock held by *another process*
    /// (default 5 s), then fails with `503`. Connections of one `Db` never
    /// wait for each other there: they queue for the one writer instead,
    /// bounded by the acquire timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        *self.busy_timeout_mut() = timeout;
        self
    }
}

/// `sqlite::memory:`, `sqlite://:memory:`, `sqlite://?mode=memory`.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

impl sealed::Open for Sqlite {
    const LABEL: &'static str = "SQLite";
    const SCHEMES: &'static [&'static str] = &["sqlite"];
    const DEFAULT_MAX_CONNECTIONS: u32 = 4;

    async fn open(s: &Settings) -> Result<Pools<Self>, DbError> {
        let base = SqliteConnectOptions::from_str(&s.url)
            .map_err(|e| DbError::config(format!("invalid SQLite URL: {e}")))?
            .foreign_keys(true)
            .busy_timeout(s.busy_timeout)
            .statement_cache_capacity(s.statement_cache);
        let opened = |e| DbError::during("open", e);
        if is_memory(&s.url) {
            // One connection: a second would open a second, empty database.
            let pool = pool_options(s)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(base)
                .await
                .map_err(opened)?;
            return Ok(Pools {
                write: pool.clone(),
                read: pool,
            });
        }
        let writer = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        // Connected now: creates the file and turns WAL on before a reader opens it.
        let write = pool_options(s)
            .max_connections(1)
            .min_connections(1)
            .connect_with(writer)
            .await
            .map_err(opened)?;
        let read = pool_options(s).connect_lazy_with(base.read_only(true));
        Ok(Pools { write, read })
    }

    async fn begin(pools: &Pools<Self>) -> Result<sqlx::Transaction<'static, Self>, sqlx::Error> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that
        // read first could not upgrade (SQLITE_BUSY_SNAPSHOT) after a
        // concurrent commit.
        pools.write.begin_with("BEGIN IMMEDIATE").await
    }

    fn migrate<'a>(
        pool: &'a Pool<Self>,
        migrator: &'a Migrator,
    ) -> impl Future<Output = Result<(), MigrateError>> + Send + 'a {
        migrator.run(pool)
    }

    fn locate<'a>(
        pool: &'a Pool<Self>,
        statements: &'a [&'a str],
    ) -> impl Future<Output = Option<(usize, sqlx::Error)>> + Send + 'a {
        locate_in(pool, statements)
    }
}

/// SQLite's primary result codes that mean "not now" rather than "wrong".
pub(super) fn classify(e: &SqliteError) -> DbErrorKind {
    use sqlx::error::DatabaseError as _;
    let code: i32 = e.code().and_then(|c| c.parse().ok()).unwrap_or(0);
    match code & 0xff {
        // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN
        5 | 6 | 8 | 10 | 13 | 14 => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}
