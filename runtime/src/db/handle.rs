//! [`Db`]: the pools, shared by every request as a singleton.

use std::fmt;
use std::time::Duration;

use sqlx::Pool;

use super::backend::{Backend, Pools};
use super::builder::{Builder, CommitIf};
use super::error::DbError;
use super::tx::{DbRead, Tx};

/// A database: a writer pool where [`Tx`] transactions run and a read pool
/// where [`DbRead`] connections come from. Register it as a singleton; its
/// request-scoped providers (`kiln::db::sqlite::tx`, `kiln::db::sqlite::read`
/// and the `postgres` ones) take it as `&Db`.
///
/// Use the alias of your backend, `kiln::db::sqlite::Db` or
/// `kiln::db::postgres::Db`: kiln's DI keys types by name, and
/// its providers are written against the alias.
///
/// Cloning is cheap (the pools are reference-counted) and shares the pools.
pub struct Db<B: Backend> {
    pools: Pools<B>,
    commit_if: CommitIf,
    acquire_timeout: Duration,
}

impl<B: Backend> Clone for Db<B> {
    fn clone(&self) -> Self {
        Db {
            pools: Pools {
                write: self.pools.write.clone(),
                read: self.pools.read.clone(),
            },
            commit_if: self.commit_if,
            acquire_timeout: self.acquire_timeout,
        }
    }
}

impl<B: Backend> fmt::Debug for Db<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("backend", &B::LABEL)
            .field("write", &self.pools.write)
            .field("read", &self.pools.read)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}

impl<B: Backend> Db<B> {
    pub(crate) fn from_parts(
        pools: Pools<B>,
        commit_if: CommitIf,
        acquire_timeout: Duration,
    ) -> Self {
        Db {
            pools,
            commit_if,
            acquire_timeout,
        }
    }

    /// Opens the database at `url` with the default settings.
    ///
    /// # Errors
    /// As [`Builder::connect`].
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::builder(url).connect().await
    }

    /// Settings for the database at `url`; nothing connects until
    /// [`Builder::connect`].
    pub fn builder(url: &str) -> Builder<B> {
        Builder::new(url, B::DEFAULT_MAX_CONNECTIONS)
    }

    /// Begins a write transaction: waits for the writer (at most the acquire
    /// timeout) and begins. What the `tx` provider calls; call it yourself
    /// outside a chain (a background job), then
    /// [`commit`](Tx::commit) or [`rollback`](Tx::rollback) it.
    ///
    /// # Errors
    /// [`Unavailable`](super::DbErrorKind::Unavailable) when no connection
    /// came within the acquire timeout or the database cannot be reached;
    /// whatever `BEGIN` failed with.
    pub async fn begin(&self) -> Result<Tx<B>, DbError> {
        let tx = B::begin(&self.pools)
            .await
            .map_err(|e| DbError::during("begin", e))?;
        Ok(Tx::new(tx, self.commit_if))
    }

    /// A connection from the read pool, outside any transaction.
    ///
    /// # Errors
    /// [`Unavailable`](super::DbErrorKind::Unavailable) when no connection
    /// came within the acquire timeout.
    pub async fn read(&self) -> Result<DbRead<B>, DbError> {
        let conn = self
            .pools
            .read
            .acquire()
            .await
            .map_err(|e| DbError::during("acquire", e))?;
        Ok(DbRead::new(conn))
    }

    /// Whether the database answers now: a read connection within the acquire
    /// timeout, pinged. For a readiness route (`/ready` answering 503 while
    /// the database is down, so a load balancer stops sending traffic).
    ///
    /// # Errors
    /// [`Unavailable`](super::DbErrorKind::Unavailable) when no connection
    /// came within the acquire timeout or the ping failed.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self
            .pools
            .read
            .acquire()
            .await
            .map_err(|e| DbError::during("acquire", e))?;
        sqlx::Connection::ping(&mut *conn)
            .await
            .map_err(|e| DbError::during("ping", e))
    }

    /// The writer pool, for what the `Tx` API does not cover. On SQLite it
    /// has one connection: holding one of its connections blocks every
    /// `Tx`.
    #[must_use]
    pub fn write_pool(&self) -> &Pool<B> {
        &self.pools.write
    }

    /// The read pool (on Postgres and for an in-memory SQLite, the writer
    /// pool itself).
    #[must_use]
    pub fn read_pool(&self) -> &Pool<B> {
        &self.pools.read
    }

    /// The acquire timeout: the longest a request waits for a connection.
    #[must_use]
    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// Closes both pools, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.pools.write.close().await;
        self.pools.read.close().await;
    }
}
