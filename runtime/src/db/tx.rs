//! The request-scoped values: [`Tx`], a write transaction that finishes
//! itself, and [`DbRead`], a read connection.

use std::fmt;
use std::ops::{Deref, DerefMut};

use sqlx::Transaction;
use sqlx::pool::PoolConnection;
use sync_wrapper::SyncWrapper;

use super::backend::Backend;
use super::builder::CommitIf;
use super::error::DbError;
use crate::{Finish, IntoResponse, Response};

/// A write transaction, begun when a request first needs it and finished by
/// kiln when the request is over: committed when the response is a success
/// (by the [`Db`](super::Db)'s predicate, default status < 400), rolled back
/// (awaited) otherwise. A commit that fails replaces the response: `409` for
/// a serialization failure or a unique violation, `500` otherwise, so a
/// client never sees a success for a write that did not happen.
///
/// It dereferences to the backend's connection, so a query runs on it with
/// `.execute(&mut *tx)` (or `fetch_*`).
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use kiln::prelude::*;
/// use kiln::db::sqlite::Db;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let db = Db::memory().await.unwrap();
/// sqlx::query("CREATE TABLE t (x INTEGER)").execute(db.write_pool()).await.unwrap();
///
/// // What the pipeline does for a request whose handler answered 201...
/// let mut tx = db.begin().await.unwrap();
/// sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.unwrap();
/// let mut res = StatusCode::CREATED.into_response();
/// tx.finish(&mut res).await;
///
/// // ...and for one that answered 422: rolled back.
/// let mut tx = db.begin().await.unwrap();
/// sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *tx).await.unwrap();
/// let mut res = StatusCode::UNPROCESSABLE_ENTITY.into_response();
/// tx.finish(&mut res).await;
///
/// let mut read = db.read().await.unwrap();
/// let rows: Vec<(i64,)> = sqlx::query_as("SELECT x FROM t").fetch_all(&mut *read).await.unwrap();
/// assert_eq!(rows, [(1,)]);
/// # });
/// # }
/// ```
// `tx` is the sqlx transaction inside: the name says what it is.
#[allow(clippy::struct_field_names)]
pub struct Tx<B: Backend> {
    tx: Transaction<'static, B>,
    commit_if: CommitIf,
    /// Run in order after a successful commit. `SyncWrapper`: only `&mut`
    /// reaches them, so `Tx` stays `Sync` for `&Tx` held across an await.
    on_commit: SyncWrapper<Vec<Box<dyn FnOnce() + Send>>>,
}

impl<B: Backend> Tx<B> {
    pub(crate) fn new(tx: Transaction<'static, B>, commit_if: CommitIf) -> Self {
        Tx {
            tx,
            commit_if,
            on_commit: SyncWrapper::new(Vec::new()),
        }
    }

    /// Runs `f` once this transaction has committed, and never if it rolls
    /// back or its commit fails: for effects that must follow the data, such
    /// as invalidating a cache (`kiln::cache::Cache::invalidate_tag_after_commit`,
    /// feature `cache`). Callbacks run in the order they were added, before
    /// the response is sent; keep them short (spawn a task for slow work).
    pub fn on_commit(&mut self, f: impl FnOnce() + Send + 'static) {
        self.on_commit.get_mut().push(Box::new(f));
    }

    /// Commits now, outside a pipeline, then runs the
    /// [`on_commit`](Self::on_commit) callbacks.
    ///
    /// # Errors
    /// What the commit failed with (see [`Tx`] for the statuses).
    pub async fn commit(self) -> Result<(), DbError> {
        let Tx { tx, on_commit, .. } = self;
        tx.commit().await.map_err(DbError::commit)?;
        for f in on_commit.into_inner() {
            f();
        }
        Ok(())
    }

    /// Rolls back now, outside a pipeline.
    ///
    /// # Errors
    /// What the rollback failed with; the connection is then discarded.
    pub async fn rollback(self) -> Result<(), DbError> {
        self.tx
            .rollback()
            .await
            .map_err(|e| DbError::during("rollback", e))
    }
}

impl<B: Backend> Finish for Tx<B> {
    async fn finish(self, res: &mut Response) {
        if (self.commit_if)(res) {
            if let Err(e) = self.commit().await {
                // The write did not happen: the client must not see the success.
                *res = e.into_response();
            }
        } else if let Err(e) = self.rollback().await {
            // The response stands (it already says the request failed); sqlx
            // discards a connection whose rollback failed.
            tracing::warn!(target: "kiln::db", error = %e, "rollback failed");
        }
    }
}

impl<B: Backend> Deref for Tx<B> {
    type Target = B::Connection;

    fn deref(&self) -> &B::Connection {
        &self.tx
    }
}

impl<B: Backend> DerefMut for Tx<B> {
    fn deref_mut(&mut self) -> &mut B::Connection {
        &mut self.tx
    }
}

impl<B: Backend> fmt::Debug for Tx<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("backend", &B::LABEL)
            .finish_non_exhaustive()
    }
}

/// A connection from the read pool, outside any transaction (each statement
/// commits by itself). On SQLite it is opened read-only: a write through it
/// fails. Kiln returns it to the pool when the request is over.
///
/// Dereferences to the backend's connection: `.fetch_all(&mut *read)`.
pub struct DbRead<B: Backend> {
    conn: PoolConnection<B>,
}

impl<B: Backend> DbRead<B> {
    pub(crate) fn new(conn: PoolConnection<B>) -> Self {
        DbRead { conn }
    }
}

impl<B: Backend> Finish for DbRead<B> {
    async fn finish(self, _res: &mut Response) {
        // Dropping a pool connection returns it to its pool.
        drop(self);
    }
}

impl<B: Backend> Deref for DbRead<B> {
    type Target = B::Connection;

    fn deref(&self) -> &B::Connection {
        &self.conn
    }
}

impl<B: Backend> DerefMut for DbRead<B> {
    fn deref_mut(&mut self) -> &mut B::Connection {
        &mut self.conn
    }
}

impl<B: Backend> fmt::Debug for DbRead<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbRead")
            .field("backend", &B::LABEL)
            .finish_non_exhaustive()
    }
}
