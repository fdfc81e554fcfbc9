//! [`Job`] (what [`Tasks::enqueue`] writes), [`Handlers`] (what a worker
//! runs, by name) and the enqueue and schema functions.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::store::{OutboxBackend, now_ms};
use crate::db::{Db, DbError, Tx};
use crate::tasks::counters::bump;
use crate::tasks::error::BoxError;
use crate::tasks::local::{Attempt, Tasks};

/// A durable job: a handler name, a JSON payload, and optionally an
/// idempotency key, a delay and its own attempt limit.
///
/// ```
/// use std::time::Duration;
/// use kiln::tasks::Job;
///
/// let job = Job::new("notify_followers", &serde_json::json!({ "article": 7 }))
///     .unwrap()
///     .key("article-7-published")
///     .delay(Duration::from_secs(1))
///     .max_attempts(10);
/// assert_eq!(job.name(), "notify_followers");
/// ```
#[derive(Clone, Debug)]
pub struct Job {
    name: Cow<'static, str>,
    payload: String,
    key: Option<String>,
    delay: Duration,
    max_attempts: Option<u32>,
}

impl Job {
    /// A job for the handler registered as `name`, with `payload` as its
    /// argument.
    ///
    /// # Errors
    /// When `payload` does not serialize to JSON (a map with non-string
    /// keys, a failing `Serialize`).
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        payload: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(Job {
            name: name.into(),
            payload: serde_json::to_string(payload)?,
            key: None,
            delay: Duration::ZERO,
            max_attempts: None,
        })
    }

    /// An idempotency key: a second job with the same key is not written
    /// (also after the first one ran: keys stay in the table with the done
    /// job). Handlers still run at least once, so make them idempotent.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Runs no sooner than `delay` after the enqueue.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Attempts for this job, instead of the worker's
    /// [`TaskConfig::max_attempts`](crate::tasks::TaskConfig::max_attempts).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The handler's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What [`Tasks::enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// The job is written (it exists once the transaction commits).
    New,
    /// A job with the same idempotency key exists: nothing was written.
    Duplicate,
}

impl Tasks {
    /// Writes `job` into the outbox in `tx`, the request's own transaction:
    /// the job exists if and only if `tx` commits, and a worker runs it
    /// after that. Its attempt limit, when the job sets none, is this
    /// queue's [`TaskConfig::max_attempts`](crate::tasks::TaskConfig::max_attempts).
    ///
    /// # Errors
    /// As a query on `tx` ([`DbError`]; a missing table is `500`: run
    /// [`install_outbox`] at startup).
    pub async fn enqueue<B: OutboxBackend>(
        &self,
        tx: &mut Tx<B>,
        job: Job,
    ) -> Result<Enqueued, DbError> {
        let now = now_ms();
        let delay = i64::try_from(job.delay.as_millis()).unwrap_or(i64::MAX);
        let max = job
            .max_attempts
            .unwrap_or(self.config().max_attempts_value());
        let row = (
            job.name.as_ref(),
            job.payload.as_str(),
            job.key.as_deref(),
            i32::try_from(max).unwrap_or(i32::MAX),
            now.saturating_add(delay),
            now,
        );
        let conn: &mut B::Connection = tx;
        let new = B::insert(conn, row).await.map_err(DbError::from)?;
        if new {
            bump(&self.counters_raw().enqueued);
            if job.delay.is_zero() {
                // Wake this process's workers when the job exists: commit to
                // start is then a claim's round trip, not up to a poll interval.
                let tasks = self.clone();
                tx.on_commit(move || tasks.committed().notify_one());
            }
            Ok(Enqueued::New)
        } else {
            Ok(Enqueued::Duplicate)
        }
    }
}

/// Creates the outbox table `kiln_tasks` and its index if they do not exist
/// (idempotent: call it at startup). It is not a sqlx migration on purpose:
/// sqlx keeps one list of applied migrations per database, and a migration
/// of kiln's in it would make your own `Migrator` fail with "applied but
/// missing". [`outbox_schema`] gives the statements for your own migration
/// instead.
///
/// # Errors
/// As the `CREATE` statements.
pub async fn install_outbox<B: OutboxBackend>(db: &Db<B>) -> Result<(), DbError>
where
    for<'c> &'c sqlx::Pool<B>: sqlx::Executor<'c, Database = B>,
{
    for statement in B::SCHEMA {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
            .execute(db.write_pool())
            .await
            .map_err(|e| DbError::during("install the outbox", e))?;
    }
    Ok(())
}

/// The statements [`install_outbox`] runs, for a migration of your own.
#[must_use]
pub fn outbox_schema<B: OutboxBackend>() -> &'static [&'static str] {
    B::SCHEMA
}

type Handler = Arc<dyn Fn(&str) -> Attempt + Send + Sync>;

/// The job handlers a worker runs, by name.
///
/// ```
/// use kiln::tasks::Handlers;
///
/// #[derive(serde::Deserialize)]
/// struct Welcome { user: i64 }
///
/// let handlers = Handlers::new().on("welcome", |job: Welcome| async move {
///     println!("welcome, user {}", job.user);
///     Ok::<(), std::io::Error>(())
/// });
/// assert!(handlers.has("welcome"));
/// ```
#[derive(Clone, Default)]
pub struct Handlers {
    by_name: HashMap<Cow<'static, str>, Handler>,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_name.keys()).finish()
    }
}

impl Handlers {
    /// No handlers.
    #[must_use]
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Runs jobs named `name` with `handler`, their payload deserialized as
    /// `T`. A payload that does not deserialize fails the attempt (and so
    /// ends dead). Registering a name again replaces its handler.
    #[must_use]
    pub fn on<T, F, Fut, E>(mut self, name: impl Into<Cow<'static, str>>, handler: F) -> Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let handler: Handler = Arc::new(move |payload: &str| -> Attempt {
            match serde_json::from_str::<T>(payload) {
                Ok(value) => {
                    let fut = handler(value);
                    Box::pin(async move { fut.await.map_err(Into::into) })
                }
                Err(e) => {
                    let e: BoxError = format!("the payload does not fit: {e}").into();
                    Box::pin(async move { Err(e) })
                }
            }
        });
        self.by_name.insert(name.into(), handler);
        self
    }

    /// Whether a handler is registered as `name`.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// One attempt of job `name` with `payload`.
    pub(crate) fn attempt(&self, name: &str, payload: &str) -> Attempt {
        match self.by_name.get(name) {
            Some(handler) => handler(payload),
            None => {
                let e: BoxError = format!("no handler is registered for `{name}`").into();
                Box::pin(async move { Err(e) })
            }
        }
    }
}
