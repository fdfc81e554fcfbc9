//! The database (features `sqlite` and `postgres`, on [sqlx]): a [`Db`]
//! singleton, request-scoped transactions ([`Tx`]) that commit or roll back
//! by themselves, read connections ([`DbRead`]), migrations at startup, and
//! [`DbError`], which answers `503`/`409`/`500` without leaking SQL.
//!
//! Pick a backend by its module, `kiln::db::sqlite` or `kiln::db::postgres`
//! (each behind its feature): each has the
//! aliases to use (`Db`, `Tx`, `DbRead`, `Builder`) and the two providers,
//! `tx` and `read`, to list in `chain!`'s `request { ... }`. Queries are
//! sqlx's, compile-time checked (`sqlx::query!`) or not (`sqlx::query`); add
//! `sqlx` to your own dependencies for its macros.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use kiln::db::sqlite::{Db, DbRead, Tx};
//! use kiln::db::{DbError, sqlx};
//! use kiln::prelude::*;
//!
//! /// Writes, then fails when asked to: kiln then rolls the write back.
//! #[handler]
//! async fn add(tx: &mut Tx, req: &Request) -> Result<StatusCode, DbError> {
//!     sqlx::query("INSERT INTO notes VALUES ('hello')").execute(&mut **tx).await?;
//!     if req.headers().contains_key("x-fail") {
//!         return Err(sqlx::Error::RowNotFound.into()); // a 404
//!     }
//!     Ok(StatusCode::CREATED)
//! }
//!
//! #[handler]
//! async fn count(read: &mut DbRead) -> Result<String, DbError> {
//!     let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM notes").fetch_one(&mut **read).await?;
//!     Ok(n.to_string())
//! }
//!
//! chain! {
//!     struct Notes;
//!     singletons { db: Db }
//!     request { kiln::db::sqlite::tx, kiln::db::sqlite::read }
//!     routes { POST "/notes" => add, GET "/notes" => count }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // A file database in production: `Db::connect("sqlite://app.db")`.
//! let db = Db::memory().await?;
//! sqlx::query("CREATE TABLE notes (text TEXT NOT NULL)").execute(db.write_pool()).await?;
//! let client = TestClient::new(Notes::new(NotesSingletons { db }));
//!
//! assert_eq!(client.post("/notes").send().await.status(), StatusCode::CREATED);
//! assert_eq!(client.post("/notes").header("x-fail", "1").send().await.status(), StatusCode::NOT_FOUND);
//! assert_eq!(client.get("/notes").send().await.text(), "1"); // the second write was rolled back
//! # Ok::<(), DbError>(()) }).unwrap();
//! # }
//! ```
//!
//! Outside a chain (a background job, a test), [`Db::begin`] gives a [`Tx`] to
//! [`commit`](Tx::commit) or [`rollback`](Tx::rollback) yourself.
//!
//! # Finishing a transaction
//!
//! A [`Tx`] is [`Finish`](crate::Finish): when the request is over, kiln
//! commits it if the [`Db`]'s predicate accepts the response (default: status
//! below 400, [`Builder::commit_if`] to change it) and otherwise rolls it back,
//! awaiting the rollback before the response leaves. A commit that fails
//! replaces the response with `409` (serialization failure, unique violation)
//! or `500`; the client never sees success for a write that did not happen.
//! A [`DbRead`] finishes by going back to its pool.
//!
//! # Errors
//!
//! [`DbError`] converts from `sqlx::Error` (use `?`) and answers by kind: the
//! database being unreachable or saturated is `503` with `Retry-After`, after
//! at most the acquire timeout (never a hang); a unique or foreign-key
//! violation is `500` unless you say what it means with
//! [`DbResultExt::on_unique`] (`409`) or [`DbResultExt::on_foreign_key`]
//! (`422`); everything else is `500`. The body is kiln's one error shape,
//! [problem+json](crate::Error) with a stable `code` (`db_unavailable`,
//! `db_conflict`, `db_error`, ...) and a fixed `detail` per kind; the
//! driver's message and the SQL go only to the log (`tracing`, target
//! `kiln::db`). Both `DbError` and `sqlx::Error` convert into
//! [`kiln::Error`](crate::Error), for handlers that return it.
//!
//! # Migrations
//!
//! [`Builder::migrations`] runs sqlx migrations when the database opens, so a
//! failed one stops startup. Embed the folder at build time with
//! `static MIGRATOR: Migrator = sqlx::migrate!("./migrations");`. The error
//! names the migration and the statement that failed (see
//! [`Db::migrate`]).
//!
//! # SQLite
//!
//! A URL `sqlite://path/to/file.db` (created if missing), or
//! `Db::memory()` for tests. What kiln sets, and why:
//!
//! | setting | value | why |
//! |---|---|---|
//! | `journal_mode` | `WAL` | readers do not block the writer, nor it them |
//! | `synchronous` | `NORMAL` | in WAL, durable across application crashes; a power cut may lose the last transactions, not corrupt the file; no fsync per commit |
//! | `busy_timeout` | 5 s (`Builder::busy_timeout`) | waits for a lock held by another process (a backup, a script) before failing with `503` |
//! | `foreign_keys` | `ON` | SQLite leaves them off by default |
//! | writer | one connection | SQLite allows one writer at a time anyway; queueing writers in the pool (bounded by the acquire timeout) instead of in SQLite's lock means no `SQLITE_BUSY` between requests |
//! | `BEGIN IMMEDIATE` | every [`Tx`] | takes the write lock at `BEGIN`: a deferred transaction that reads first and writes later fails with `SQLITE_BUSY_SNAPSHOT` when another committed in between |
//! | read pool | up to `max_connections` (default 4), opened read-only | [`DbRead`] reads run in parallel with the writer |
//!
//! `Db::memory()` is one connection serving both `Tx` and `DbRead`:
//! a second connection to `:memory:` would be a second, empty database, and a
//! shared-cache one would answer `SQLITE_LOCKED` (which no busy timeout
//! covers) between the writer and the readers. A request that takes both a
//! `Tx` and a `DbRead` then waits for itself; use a file database for that.
//!
//! # Postgres
//!
//! A URL `postgres://user:password@host:port/db`; no TLS (the feature
//! compiles none in), so for a server on localhost or a private network. One
//! pool of `max_connections` (default 10) serves both `Tx` and `DbRead`;
//! transactions are `BEGIN` at the server's default isolation (`READ
//! COMMITTED`). A connection that broke (the server restarted) is noticed
//! when it is next taken from the pool and replaced.

// With `db` alone (no backend), the shared parts have no user.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]

mod backend;
mod builder;
mod error;
#[cfg(feature = "postgres")]
mod finish;
mod handle;
mod migrate;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod tx;

pub use backend::Backend;
pub use builder::{Builder, CommitIf, commit_below_400};
pub use error::{DbError, DbErrorKind, DbResultExt};
pub use handle::Db;
pub use sqlx;
pub use tx::{DbRead, Tx};
