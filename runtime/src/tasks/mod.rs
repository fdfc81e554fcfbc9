//! Background tasks (feature `tasks`): [`Tasks`], an in-process queue that
//! runs jobs after the handler returned, and, with `sqlite` or `postgres`,
//! durable jobs written to an outbox table in the request's own
//! transaction and run by [`Worker`]s.
//!
//! # In process
//!
//! [`Tasks::spawn`] takes a name and a closure that makes one attempt (a
//! future returning `Result<(), E>`). The job is spawned on the tokio
//! runtime and the handler goes on: "after the response" means the handler
//! never awaits it, so the response is not held back by it (the job may
//! start before the response's last byte is written). What bounds it:
//!
//! | what | setting ([`TaskConfig`]) | default |
//! |---|---|---|
//! | jobs that may exist (queued, running, waiting to retry) | `capacity`; one more is [`SpawnError::Full`], a `503` + `Retry-After` (`tasks_full`) | 1024 |
//! | attempts running at once | `concurrency` | 8 |
//! | one attempt | `timeout`; past it the attempt is dropped and failed | 30 s |
//! | attempts | `max_attempts`; an `Err`, a panic or a timeout is retried | 5 |
//! | wait before retry *n* | `backoff(base, max)`: `base * 2^(n-1)`, capped, up to half of it random | 500 ms .. 5 min |
//! | dead letters kept | `dead_letters` (each also logged at `error`, target `kiln::tasks`) | 64 |
//!
//! [`Tasks::counters`] reads spawned, rejected, enqueued, done, failed,
//! retried, dead and abandoned. A `Tasks` singleton of an app declared with
//! `options { stats }` shows them in `App::stats()` and in
//! [`kiln::stats::prometheus`](crate::stats::prometheus)'s output by itself
//! (`kiln_tasks_total{app, singleton, event}`; see
//! [`stats::Counters`](crate::stats::Counters));
//! [`TaskCounters::write_prometheus`] writes them for a metrics route of your
//! own. [`Tasks::dead_letters`] lists the last dead jobs.
//! [`Tasks::shutdown`] stops taking jobs and waits for the ones there are
//! (their retries included) within the drain; what is left then is
//! cancelled and counted as abandoned. Call it after `kiln::serve` returned.
//! In-process jobs live in memory: a crash loses them. What must not be
//! lost goes through the outbox.
//!
//! # Durable jobs: the outbox
//!
//! [`Tasks::enqueue`] inserts a [`Job`] (a handler name, a JSON payload, an
//! optional idempotency key, a delay, an attempt limit) into the table
//! `kiln_tasks` *in the request's [`Tx`](crate::db::Tx)*: the job exists if
//! and only if the transaction commits, so a job is never about data that
//! was rolled back, and never missing for data that was committed.
//! [`install_outbox`] creates the table at startup (or put
//! [`outbox_schema`]'s statements in a migration of yours).
//!
//! A [`Worker`] (in the server's process, or in a process of its own that
//! opens the same database) claims due jobs, runs the [`Handlers`]
//! registered under their names, and marks them done, for another attempt
//! after the backoff, or dead. A commit that wrote a due job wakes the workers of its
//! own process at once (commit to start is then one claim); jobs written by
//! other processes, delayed jobs and retries are found at the next poll
//! ([`Worker::poll_interval`], 500 ms by default). A claim takes a lease (`locked_until`): on
//! Postgres with `UPDATE .. WHERE id = (SELECT .. FOR UPDATE SKIP LOCKED)`,
//! so workers on many instances never take the same job; on SQLite through
//! its single writer. A worker that dies mid-job (a crash, `SIGKILL`)
//! leaves its lease to run out, and the next claim runs the job again:
//! delivery is **at least once**, so a handler must be idempotent (the
//! idempotency key stops a second *enqueue*, not a second *run*).
//! [`WorkerHandle::shutdown`] stops claiming, waits for running jobs within
//! the drain, and hands the rest back to the table at once.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use std::time::Duration;
//! use kiln::db::sqlite::{Db, Tx};
//! use kiln::prelude::*;
//! use kiln::tasks::{Handlers, Job, Tasks, Worker, install_outbox};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Published { article: i64 }
//!
//! #[handler]
//! async fn publish(tasks: &Tasks, tx: &mut Tx) -> Result<StatusCode, kiln::Error> {
//!     // ... write the article in `tx`, then, in the same transaction:
//!     let job = Job::new("notify_followers", &Published { article: 7 })
//!         .map_err(|_| kiln::Error::internal())?
//!         .key("article-7-published");
//!     tasks.enqueue(tx, job).await?;
//!     Ok(StatusCode::CREATED)
//! }
//!
//! chain! {
//!     struct Blog;
//!     singletons { tasks: Tasks, db: Db }
//!     request { kiln::db::sqlite::tx }
//!     routes { POST "/articles" => publish }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let db = Db::memory().await.unwrap();
//! install_outbox(&db).await.unwrap();
//! let tasks = Tasks::default();
//!
//! let (notified, mut inbox) = tokio::sync::mpsc::unbounded_channel();
//! let handlers = Handlers::new().on("notify_followers", move |job: Published| {
//!     let notified = notified.clone();
//!     async move { notified.send(job.article).map_err(|_| "inbox closed") }
//! });
//! let worker = Worker::new(&tasks, db.clone(), handlers)
//!     .poll_interval(Duration::from_millis(10))
//!     .start();
//!
//! let client = TestClient::new(Blog::new(BlogSingletons { tasks: tasks.clone(), db }));
//! assert_eq!(client.post("/articles").send().await.status(), StatusCode::CREATED);
//! assert_eq!(inbox.recv().await, Some(7)); // run by the worker, after the commit
//! assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
//! # });
//! # }
//! ```
//!
//! Times in the table are Unix milliseconds from the application's clock;
//! several hosts sharing one database should keep their clocks in sync.
mod config;
mod counters;
mod error;
mod local;

pub use config::TaskConfig;
pub use counters::{DeadTask, TaskCounters};
pub use error::{BoxError, SpawnError};
pub use local::{Drained, Tasks};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod outbox;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use outbox::{
    Enqueued, Handlers, Job, OutboxBackend, Worker, WorkerHandle, install_outbox, outbox_schema,
};
