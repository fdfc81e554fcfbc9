//! [`Tasks`]: the in-process queue. A job is a closure that makes a future;
//! it runs on the tokio runtime, bounded, with a timeout per attempt,
//! retries with backoff, and a dead-letter log.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio::sync::{Semaphore, watch};

use super::config::TaskConfig;
use super::counters::{Counters, DeadLetters, DeadTask, TaskCounters, bump};
use super::error::{BoxError, SpawnError};

pub(crate) type Attempt = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// The in-process task queue: register one as a singleton and take
/// `&Tasks` in handlers. Cloning shares the queue.
///
/// [`spawn`](Tasks::spawn) hands a job to the runtime and returns at once:
/// the handler does not wait for it, so the response goes out while the job
/// runs (or waits for a free slot). A job is a closure called once per
/// attempt, so a failed attempt can be tried again.
///
/// ```
/// use std::time::Duration;
/// use kiln::prelude::*;
/// use kiln::tasks::{TaskConfig, Tasks};
///
/// #[handler]
/// fn signup(tasks: &Tasks) -> Result<StatusCode, kiln::Error> {
///     tasks.spawn("welcome_email", || async {
///         // send it; an `Err` is retried with backoff
///         Ok::<(), std::io::Error>(())
///     })?; // a full queue is a 503 with Retry-After
///     Ok(StatusCode::ACCEPTED)
/// }
///
/// chain! {
///     struct Signup;
///     singletons { tasks: Tasks }
///     routes { POST "/signup" => signup }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let tasks = Tasks::new(TaskConfig::default());
/// let client = TestClient::new(Signup::new(SignupSingletons { tasks: tasks.clone() }));
/// assert_eq!(client.post("/signup").send().await.status(), StatusCode::ACCEPTED);
///
/// let drained = tasks.shutdown(Duration::from_secs(5)).await;
/// assert!(drained.complete());
/// assert_eq!(tasks.counters().done, 1);
/// # });
/// ```
#[derive(Clone)]
pub struct Tasks {
    inner: Arc<Inner>,
}

struct Inner {
    config: TaskConfig,
    /// One permit per job that may exist (queued, running or waiting to
    /// retry): the bound on memory.
    slots: Arc<Semaphore>,
    /// One permit per attempt that may run at once.
    running: Semaphore,
    closed: AtomicBool,
    /// Set when a shutdown's drain ran out: jobs still running stop.
    cancel: watch::Sender<bool>,
    counters: Counters,
    dead: DeadLetters,
    /// Rung when a transaction that enqueued a due outbox job commits: the
    /// workers of this process claim at once instead of at their next poll.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    committed: tokio::sync::Notify,
}

impl fmt::Debug for Tasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tasks")
            .field("config", &self.inner.config)
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

impl Default for Tasks {
    fn default() -> Self {
        Tasks::new(TaskConfig::default())
    }
}

/// What [`Tasks::shutdown`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    /// Jobs cancelled because the drain ran out (running, or waiting to retry).
    pub abandoned: usize,
}

impl Drained {
    /// Whether every job finished within the drain.
    #[must_use]
    pub fn complete(&self) -> bool {
        self.abandoned == 0
    }
}

impl Tasks {
    /// A queue with these bounds; no thread or task starts until a job is
    /// spawned.
    #[must_use]
    pub fn new(config: TaskConfig) -> Self {
        let slots = Arc::new(Semaphore::new(config.capacity));
        let running = Semaphore::new(config.concurrency);
        let dead = DeadLetters::new(config.dead_letters);
        Tasks {
            inner: Arc::new(Inner {
                config,
                slots,
                running,
                closed: AtomicBool::new(false),
                cancel: watch::Sender::new(false),
                counters: Counters::default(),
                dead,
                #[cfg(any(feature = "sqlite", feature = "postgres"))]
                committed: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Runs `job` in the background: `job()` makes one attempt; an `Err`, a
    /// panic or an attempt past the timeout is tried again after the
    /// backoff, up to the configured attempts, then logged as dead. `name`
    /// names it in logs and dead letters.
    ///
    /// # Errors
    /// [`SpawnError::Full`] when the capacity is taken (the job is not run:
    /// backpressure, never unbounded memory), [`SpawnError::ShuttingDown`]
    /// after [`shutdown`](Tasks::shutdown) began. Both convert into a `503`
    /// [`kiln::Error`](crate::Error).
    ///
    /// # Panics
    /// Outside a tokio runtime (handlers always run inside one).
    pub fn spawn<F, Fut, E>(&self, name: &'static str, job: F) -> Result<(), SpawnError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            bump(&inner.counters.rejected);
            return Err(SpawnError::ShuttingDown);
        }
        let Ok(slot) = Arc::clone(&inner.slots).try_acquire_owned() else {
            bump(&inner.counters.rejected);
            return Err(SpawnError::Full);
        };
        bump(&inner.counters.spawned);
        let attempt = move || -> Attempt {
            let fut = job();
            Box::pin(async move { fut.await.map_err(Into::into) })
        };
        let inner = Arc::clone(inner);
        tokio::spawn(async move {
            let _slot = slot;
            let mut cancel = inner.cancel.subscribe();
            tokio::select! {
                () = inner.run(name, &attempt) => {}
                _ = cancel.wait_for(|c| *c) => {
                    bump(&inner.counters.abandoned);
                    tracing::warn!(target: "kiln::tasks", task = name, "task abandoned: the shutdown drain ran out");
                }
            }
        });
        Ok(())
    }

    /// The counters so far.
    #[must_use]
    pub fn counters(&self) -> TaskCounters {
        self.inner.counters.snapshot()
    }

    /// The most recent dead jobs, oldest first (at most
    /// [`TaskConfig::dead_letters`]).
    #[must_use]
    pub fn dead_letters(&self) -> Vec<DeadTask> {
        self.inner.dead.list()
    }

    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn counters_raw(&self) -> &Counters {
        &self.inner.counters
    }

    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn dead_raw(&self) -> &DeadLetters {
        &self.inner.dead
    }

    /// What a worker of this process waits on besides its poll interval.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn committed(&self) -> &tokio::sync::Notify {
        &self.inner.committed
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &TaskConfig {
        &self.inner.config
    }

    /// Jobs that exist now (queued, running or waiting to retry).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.inner.config.capacity - self.inner.slots.available_permits()
    }

    /// Stops taking jobs (`spawn` answers [`SpawnError::ShuttingDown`]) and
    /// waits up to `drain` for the jobs there are, retries included; the
    /// ones left then are cancelled (dropped at their next `.await`) and
    /// counted as abandoned. Call it after the server stopped serving.
    pub async fn shutdown(&self, drain: Duration) -> Drained {
        let inner = &self.inner;
        inner.closed.store(true, Ordering::Release);
        let all = u32::try_from(inner.config.capacity).unwrap_or(u32::MAX);
        if let Ok(Ok(permits)) = tokio::time::timeout(drain, inner.slots.acquire_many(all)).await {
            // Hand them back: counters and `pending` stay readable.
            drop(permits);
            return Drained { abandoned: 0 };
        }
        let left = self.pending();
        inner.cancel.send_replace(true);
        // Cancelled jobs give their slot back at once; this only waits for
        // their tasks to be polled.
        let _ = tokio::time::timeout(Duration::from_secs(1), inner.slots.acquire_many(all)).await;
        Drained { abandoned: left }
    }
}

impl Inner {
    /// Every attempt of one job, then its end (done or dead).
    async fn run(&self, name: &'static str, attempt: &(dyn Fn() -> Attempt + Send + Sync)) {
        let max = self.config.max_attempts;
        for n in 1..=max {
            let outcome = {
                let _running = self.running.acquire().await;
                run_attempt(attempt(), self.config.timeout).await
            };
            match outcome {
                Ok(()) => {
                    bump(&self.counters.done);
                    return;
                }
                Err(error) => {
                    bump(&self.counters.failed);
                    if n == max {
                        let dead = DeadTask {
                            name: name.to_owned(),
                            attempts: n,
                            error,
                        };
                        self.dead.push(&self.counters, dead);
                        return;
                    }
                    let wait = self.config.backoff_after(n);
                    tracing::warn!(target: "kiln::tasks", task = name, attempt = n, error = %error, retry_in = ?wait, "task attempt failed");
                    bump(&self.counters.retried);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// One attempt within `timeout`; a panic is a failure like an `Err`.
pub(crate) async fn run_attempt(attempt: Attempt, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, AssertUnwindSafe(attempt).catch_unwind()).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(_panic)) => Err("the task panicked".to_owned()),
        Err(_) => Err(format!("timed out after {timeout:?}")),
    }
}

/// A `Tasks` singleton in an app with `options { stats }` reports its
/// counters in `App::stats()` and the Prometheus output
/// (`kiln_tasks_total{app, singleton, event}`).
impl crate::stats::Counters for Tasks {
    fn counters(&self) -> crate::stats::CounterSet {
        Tasks::counters(self).to_set()
    }
}
