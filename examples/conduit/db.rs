//! The database, SQLite or Postgres by the URL: one [`Database`] singleton,
//! and the request-scoped [`Tx`] (every write) and [`Read`] that wrap
//! `kiln::db`'s of the backend in use.
//!
//! kiln's DI is keyed by type, and a backend is a type (`kiln::db::sqlite::Tx`
//! is not `kiln::db::postgres::Tx`), so an app that picks its backend at
//! startup holds an enum of the two. Each query is written once, inside
//! [`on!`], which compiles it for both connections; the SQL is the subset
//! both speak (`$1` parameters, `RETURNING`, `ON CONFLICT DO NOTHING`).
//!
//! The same enum carries what the background jobs need: [`Tx::enqueue`]
//! (an outbox job in the request's transaction), [`Tx::invalidate_after_commit`]
//! (response-cache tags dropped once the write is in), [`Database::worker`]
//! and [`Database::acquire`] (a connection outside any request, for a job).

use std::time::Duration;

use kiln::Finish;
use kiln::builtin::ResponseCache;
use kiln::db::sqlx::migrate::Migrator;
use kiln::db::{DbError, postgres, sqlite};
use kiln::prelude::*;
use kiln::tasks::{Enqueued, Handlers, Job, OutboxBackend, Tasks, Worker, WorkerHandle};
use sqlx::pool::PoolConnection;

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
    /// `postgres://...`), runs the migrations and creates kiln's outbox
    /// table (`kiln_tasks`) when it is missing.
    pub(crate) async fn open(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let db = postgres::Db::builder(url)
                .migrations(&POSTGRES)
                .connect()
                .await?;
            kiln::tasks::install_outbox(&db).await?;
            Ok(Database::Postgres(db))
        } else {
            let db = sqlite::Db::builder(url)
                .migrations(&SQLITE)
                .connect()
                .await?;
            kiln::tasks::install_outbox(&db).await?;
            Ok(Database::Sqlite(db))
        }
    }

    /// Starts a worker that runs this database's outbox jobs with
    /// `handlers`, looking for due jobs every `poll`; a claimed job is
    /// leased for `lease` (kiln's default, the task timeout plus 30 s, when
    /// `None`).
    pub(crate) fn worker(
        &self,
        tasks: &Tasks,
        handlers: Handlers,
        poll: Duration,
        lease: Option<Duration>,
    ) -> WorkerHandle {
        fn start<B: OutboxBackend>(
            worker: Worker<B>,
            poll: Duration,
            lease: Option<Duration>,
        ) -> WorkerHandle {
            let worker = worker.poll_interval(poll);
            match lease {
                Some(lease) => worker.lease(lease),
                None => worker,
            }
            .start()
        }
        match self {
            Database::Sqlite(db) => start(Worker::new(tasks, db.clone(), handlers), poll, lease),
            Database::Postgres(db) => start(Worker::new(tasks, db.clone(), handlers), poll, lease),
        }
    }

    /// A connection of the writer's pool, outside any request (a job's).
    pub(crate) async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match self {
            Database::Sqlite(db) => Pooled::Sqlite(db.write_pool().acquire().await?),
            Database::Postgres(db) => Pooled::Postgres(db.write_pool().acquire().await?),
        })
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

    /// Writes `job` into the outbox in this transaction: it exists, and a
    /// worker runs it, only if the transaction commits.
    pub(crate) async fn enqueue(&mut self, tasks: &Tasks, job: Job) -> Result<Enqueued, DbError> {
        match self {
            Tx::Sqlite(tx) => tasks.enqueue(tx, job).await,
            Tx::Postgres(tx) => tasks.enqueue(tx, job).await,
        }
    }

    /// Drops the cached responses tagged with any of `tags` once this
    /// transaction has committed (nothing when it rolls back).
    pub(crate) fn invalidate_after_commit(&mut self, cache: &ResponseCache, tags: &[&str]) {
        for tag in tags {
            match self {
                Tx::Sqlite(tx) => cache.invalidate_tag_after_commit(tx, tag),
                Tx::Postgres(tx) => cache.invalidate_tag_after_commit(tx, tag),
            }
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

/// A pooled connection of either backend, held outside a request.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<sqlx::Sqlite>),
    Postgres(PoolConnection<sqlx::Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
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
