//! What a backend supplies: how it opens its pools and begins a write
//! transaction. Sealed: SQLite and Postgres are the two there are.

use std::future::Future;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AssertSqlSafe, Pool, Transaction};

use super::builder::Settings;
use super::error::DbError;

/// A database kiln can run on: `sqlx::Sqlite` (feature `sqlite`) or
/// `sqlx::Postgres` (feature `postgres`). Sealed.
pub trait Backend: sqlx::Database + sealed::Open {}

impl<B: sqlx::Database + sealed::Open> Backend for B {}

/// The two pools a [`Db`](super::Db) holds: where write transactions run and
/// where reads run (the same pool for Postgres and for an in-memory SQLite).
pub struct Pools<B: sqlx::Database> {
    pub write: Pool<B>,
    pub read: Pool<B>,
}

pub(crate) mod sealed {
    use super::{DbError, Future, MigrateError, Migrator, Pool, Pools, Settings, Transaction};

    /// The backend-specific part. Not public API.
    pub trait Open: sqlx::Database {
        /// The backend's name in messages: `"SQLite"`.
        const LABEL: &'static str;
        /// URL schemes it accepts: `["sqlite"]`.
        const SCHEMES: &'static [&'static str];
        /// The default `max_connections`.
        const DEFAULT_MAX_CONNECTIONS: u32;

        /// Opens the pools (the writer eagerly, so a bad URL or an
        /// unreachable server fails startup).
        fn open(settings: &Settings) -> impl Future<Output = Result<Pools<Self>, DbError>> + Send;

        /// Begins a write transaction on the writer pool.
        fn begin(
            pools: &Pools<Self>,
        ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;

        /// Runs the pending migrations on `pool`.
        fn migrate<'a>(
            pool: &'a Pool<Self>,
            migrator: &'a Migrator,
        ) -> impl Future<Output = Result<(), MigrateError>> + Send + 'a;

        /// Runs `statements` in order in a transaction it rolls back; the
        /// first that fails, and how.
        fn locate<'a>(
            pool: &'a Pool<Self>,
            statements: &'a [&'a str],
        ) -> impl Future<Output = Option<(usize, sqlx::Error)>> + Send + 'a;
    }
}

/// [`sealed::Open::locate`] for any backend whose connection executes queries.
pub(crate) async fn locate_in<B>(
    pool: &Pool<B>,
    statements: &[&str],
) -> Option<(usize, sqlx::Error)>
where
    B: sqlx::Database,
    for<'c> &'c mut B::Connection: sqlx::Executor<'c, Database = B>,
{
    let mut tx = pool.begin().await.ok()?;
    let mut failed = None;
    for (i, statement) in statements.iter().enumerate() {
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(*statement))
            .execute(&mut *tx)
            .await
        {
            failed = Some((i, e));
            break;
        }
    }
    // Whatever ran is undone: this was only to find the statement.
    let _ = tx.rollback().await;
    failed
}

/// Pool settings both backends share.
pub(crate) fn pool_options<B: sqlx::Database>(s: &Settings) -> sqlx::pool::PoolOptions<B> {
    let options = sqlx::pool::PoolOptions::new()
        .acquire_timeout(s.acquire_timeout)
        .max_connections(s.max_connections)
        .min_connections(s.min_connections);
    let idle = s.ping_after_idle;
    if idle.is_zero() {
        return options.test_before_acquire(true);
    }
    // sqlx pings on every acquire by default: a round trip per request.
    // Ping only a connection that sat idle long enough to have died unseen.
    options
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= idle {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}
