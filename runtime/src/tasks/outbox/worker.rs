//! [`Worker`]: claims due jobs from the outbox, runs their handlers, and
//! marks them done, for another attempt, or dead.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::job::Handlers;
use super::store::{Claimed, OutboxBackend, now_ms};
use crate::db::Db;
use crate::tasks::counters::{DeadTask, bump};
use crate::tasks::local::{Drained, Tasks, run_attempt};

/// Runs outbox jobs: in the server's process by default, or in a process of
/// its own (a binary that opens the same database and starts only workers).
/// Several workers, in one process or many, share the table: on Postgres
/// each claim skips rows another is claiming (`FOR UPDATE SKIP LOCKED`); on
/// SQLite claims go one at a time through the single writer.
///
/// A claimed job is leased: if its worker dies (a crash, `SIGKILL`,
/// [`WorkerHandle::abort`]) the lease runs out and another claim takes it
/// again, so a job runs at least once. Its attempt limit counts the attempt
/// that died with the worker.
///
/// The timeout, attempts, backoff and concurrency are the [`Tasks`]'s
/// [`TaskConfig`](crate::tasks::TaskConfig), whose counters and dead
/// letters the worker updates too.
pub struct Worker<B: OutboxBackend> {
    db: Db<B>,
    handlers: Handlers,
    tasks: Tasks,
    lease: Duration,
    poll: Duration,
}

impl<B: OutboxBackend> Worker<B> {
    /// A worker for `db`'s outbox, running `handlers`; nothing runs until
    /// [`start`](Worker::start). The lease defaults to the timeout plus
    /// 30 s, the poll interval to 500 ms.
    #[must_use]
    pub fn new(tasks: &Tasks, db: Db<B>, handlers: Handlers) -> Self {
        Worker {
            lease: tasks.config().timeout + Duration::from_secs(30),
            poll: Duration::from_millis(500),
            db,
            handlers,
            tasks: tasks.clone(),
        }
    }

    /// How long a claim holds a job before another worker may take it. At
    /// least the timeout (a shorter lease would let a second worker run a
    /// job that is still running).
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long the worker waits before looking again when no job is due.
    /// A job enqueued by a transaction of this process wakes it when the
    /// transaction commits; the interval bounds how late it sees jobs of
    /// other processes, delayed jobs coming due and retries.
    #[must_use]
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// Starts claiming on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    #[must_use]
    pub fn start(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(None);
        let lease = self.lease.max(self.tasks.config().timeout);
        let shared = Arc::new(Shared {
            in_flight: Mutex::new(HashSet::new()),
            worker: Worker { lease, ..self },
        });
        WorkerHandle {
            stop,
            join: tokio::spawn(shared.run(stopped)),
        }
    }
}

/// A running [`Worker`].
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<Option<Duration>>,
    join: JoinHandle<Drained>,
}

impl WorkerHandle {
    /// Stops claiming and waits up to `drain` for the jobs running; those
    /// still running then are cancelled and handed back to the table (their
    /// lease lifted, the attempt not counted), so another worker runs them.
    pub async fn shutdown(self, drain: Duration) -> Drained {
        self.stop.send_replace(Some(drain));
        self.join.await.unwrap_or(Drained { abandoned: 0 })
    }

    /// Stops at once, as a crash would: running jobs are dropped and keep
    /// their lease until it runs out. For tests of what a crash does.
    pub fn abort(self) {
        self.join.abort();
    }
}

struct Shared<B: OutboxBackend> {
    worker: Worker<B>,
    /// `(id, attempts)` of the jobs running, to hand back on shutdown.
    in_flight: Mutex<HashSet<(i64, i32)>>,
}

impl<B: OutboxBackend> Shared<B> {
    async fn run(self: Arc<Self>, mut stop: watch::Receiver<Option<Duration>>) -> Drained {
        let w = &self.worker;
        let config = w.tasks.config();
        let slots = Arc::new(Semaphore::new(config.concurrency));
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot,
                _ = stop.wait_for(Option::is_some) => break,
            };
            let Ok(slot) = slot else { break };
            // Every free slot claims in the same statement.
            let mut free = vec![slot];
            while let Ok(more) = Arc::clone(&slots).try_acquire_owned() {
                free.push(more);
            }
            let now = now_ms();
            let lease = i64::try_from(w.lease.as_millis()).unwrap_or(i64::MAX);
            let limit = i64::try_from(free.len()).unwrap_or(i64::MAX);
            match B::claim(w.db.write_pool(), now, now.saturating_add(lease), limit).await {
                Ok(jobs) if !jobs.is_empty() => {
                    // Slots beyond the jobs claimed go back as `free` drops.
                    for (job, slot) in jobs.into_iter().zip(free) {
                        self.lock().insert((job.0, job.3));
                        let me = Arc::clone(&self);
                        running.spawn(async move {
                            let _slot = slot;
                            let key = (job.0, job.3);
                            me.run_job(job).await;
                            me.lock().remove(&key);
                        });
                    }
                }
                claimed => {
                    if let Err(e) = &claimed {
                        // The database is down or busy: try again after the poll interval.
                        tracing::warn!(target: "kiln::tasks", error = %e, "could not claim an outbox job");
                    }
                    drop(free);
                    // Nothing due (or the database failed): look again after the
                    // poll interval, or as soon as a transaction of this process
                    // commits a job (other processes' jobs wait for the poll).
                    tokio::select! {
                        () = tokio::time::sleep(w.poll) => {}
                        () = w.tasks.committed().notified(), if claimed.is_ok() => {}
                        _ = stop.wait_for(Option::is_some) => break,
                    }
                }
            }
        }
        let drain = stop.borrow().unwrap_or_default();
        let finished = tokio::time::timeout(drain, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if finished.is_ok() {
            return Drained { abandoned: 0 };
        }
        running.abort_all();
        while running.join_next().await.is_some() {}
        let left: Vec<_> = self.lock().drain().collect();
        for &(id, attempts) in &left {
            bump(&w.tasks.counters_raw().abandoned);
            if let Err(e) = B::release(w.db.write_pool(), id, attempts).await {
                tracing::warn!(target: "kiln::tasks", id, error = %e, "could not hand an abandoned job back; it runs again when its lease ends");
            }
        }
        Drained {
            abandoned: left.len(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<(i64, i32)>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn run_job(&self, (id, name, payload, attempts, max): Claimed) {
        let w = &self.worker;
        let (tasks, pool) = (&w.tasks, w.db.write_pool());
        let counters = tasks.counters_raw();
        let dead = |error: String| DeadTask {
            name: name.clone(),
            attempts: u32::try_from(attempts).unwrap_or(0),
            error,
        };
        if attempts > max {
            // Its last attempt died with a worker.
            let error = "the worker running its last attempt stopped".to_owned();
            let _ = B::fail(pool, id, attempts, &error, None).await;
            tasks.dead_raw().push(counters, dead(error));
            return;
        }
        bump(&counters.spawned);
        let attempt = w.handlers.attempt(&name, &payload);
        let outcome = run_attempt(attempt, tasks.config().timeout).await;
        let written = match outcome {
            Ok(()) => {
                bump(&counters.done);
                B::complete(pool, id, attempts, now_ms()).await
            }
            Err(error) => {
                bump(&counters.failed);
                if attempts >= max {
                    let written = B::fail(pool, id, attempts, &error, None).await;
                    tasks.dead_raw().push(counters, dead(error));
                    written
                } else {
                    let n = u32::try_from(attempts).unwrap_or(1);
                    let wait = tasks.config().backoff_after(n);
                    tracing::warn!(target: "kiln::tasks", task = %name, id, attempt = n, error = %error, retry_in = ?wait, "outbox job attempt failed");
                    bump(&counters.retried);
                    let at = now_ms()
                        .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                    B::fail(pool, id, attempts, &error, Some(at)).await
                }
            }
        };
        if let Err(e) = written {
            // The lease runs out and the job runs again: at least once.
            tracing::warn!(target: "kiln::tasks", task = %name, id, error = %e, "could not record a job's outcome");
        }
    }
}
