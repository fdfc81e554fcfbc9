//! PostgreSQL (feature `postgres`): the aliases to use and the `tx` / `read`
//! providers.
//!
//! See the [module docs](super#postgres) for what kiln sets up.

use std::str::FromStr;

use sqlx::Pool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgConnectOptions;

use super::backend::{Pools, locate_in, pool_options, sealed};
use super::builder::Settings;
use super::error::{DbError, DbErrorKind};
use super::finish::Finish;
use crate::provider;

pub use sqlx::Postgres;

/// A Postgres database: the singleton to register.
pub type Db = super::Db<Postgres>;
/// A Postgres write transaction, request-scoped by [`tx`].
pub type Tx = super::Tx<Postgres>;
/// A Postgres connection outside a transaction, request-scoped by [`read`].
pub type DbRead = super::DbRead<Postgres>;
/// Settings for a Postgres [`Db`].
pub type Builder = super::Builder<Postgres>;

/// Begins the request's transaction; list it as `request { kiln::db::postgres::tx }`.
///
/// # Errors
/// As [`Db::begin`](super::Db::begin): `503` when the pool stays exhausted
/// or the server unreachable for the acquire timeout.
#[provider(finish)]
pub async fn tx(
    db: &::kiln::db::postgres::Db,
) -> Result<::kiln::db::postgres::Tx, ::kiln::db::DbError> {
    db.begin().await
}

/// Takes a connection for the request; list it as `request { kiln::db::postgres::read }`.
///
/// # Errors
/// As [`Db::read`](super::Db::read).
#[provider(finish)]
pub async fn read(
    db: &::kiln::db::postgres::Db,
) -> Result<::kiln::db::postgres::DbRead, ::kiln::db::DbError> {
    db.read().await
}

impl sealed::Open for Postgres {
    const LABEL: &'static str = "Postgres";
    const SCHEMES: &'static [&'static str] = &["postgres", "postgresql"];
    const DEFAULT_MAX_CONNECTIONS: u32 = 10;

    async fn open(s: &Settings) -> Result<Pools<Self>, DbError> {
        let options = PgConnectOptions::from_str(&s.url)
            .map_err(|e| DbError::config(format!("invalid Postgres URL: {e}")))?
            .statement_cache_capacity(s.statement_cache);
        let pool = pool_options(s)
            .connect_with(options)
            .await
            .map_err(|e| DbError::during("connect", e))?;
        Ok(Pools {
            write: pool.clone(),
            read: pool,
        })
    }

    async fn begin(pools: &Pools<Self>) -> Result<sqlx::Transaction<'static, Self>, sqlx::Error> {
        // A dropped `begin` must not leave its connection in a transaction (see `Finish`).
        let pool = pools.write.clone();
        Finish::new(async move { pool.begin().await }).await
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

/// SQLSTATEs that mean "not now" or "lost a race" rather than "wrong".
pub(super) fn classify(code: &str) -> DbErrorKind {
    match code {
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => DbErrorKind::Conflict,
        // admin/crash shutdown, cannot_connect_now, read_only_sql_transaction (a standby)
        "57P01" | "57P02" | "57P03" | "25006" => DbErrorKind::Unavailable,
        // connection exceptions, insufficient resources (too many connections, disk full)
        c if c.starts_with("08") || c.starts_with("53") => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}
