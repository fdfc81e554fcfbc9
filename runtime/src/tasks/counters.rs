//! What happened to jobs: counters read as a [`TaskCounters`] snapshot, and
//! the bounded list of [`DeadTask`]s.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a queue's counters (all since it was built).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskCounters {
    /// Jobs accepted (`spawn`ed, or claimed by an outbox worker).
    pub spawned: u64,
    /// Jobs `spawn` refused because the queue was full or shut down.
    pub rejected: u64,
    /// Jobs written to the outbox by [`Tasks::enqueue`](super::Tasks::enqueue)
    /// (counted when the insert ran; the transaction may still roll back).
    pub enqueued: u64,
    /// Jobs that succeeded.
    pub done: u64,
    /// Attempts that failed (an error, a panic or a timeout).
    pub failed: u64,
    /// Attempts scheduled again after a failure.
    pub retried: u64,
    /// Jobs given up after their last attempt.
    pub dead: u64,
    /// Jobs still running when a shutdown's drain ran out (cancelled; an
    /// outbox job is handed back to the table).
    pub abandoned: u64,
}

impl TaskCounters {
    /// Appends the counters in Prometheus' text format (`kiln_tasks_total`
    /// with a `event` label), for a metrics route of yours to serve next to
    /// [`kiln::stats::prometheus`](crate::stats::prometheus)'s output.
    ///
    /// ```
    /// let mut out = String::new();
    /// kiln::tasks::Tasks::default().counters().write_prometheus(&mut out);
    /// assert!(out.contains("kiln_tasks_total{event=\"done\"} 0\n"));
    /// ```
    pub fn write_prometheus(&self, out: &mut String) {
        use std::fmt::Write as _;
        let set = self.to_set();
        let _ = writeln!(out, "# HELP {} {}", set.family, set.help);
        let _ = writeln!(out, "# TYPE {} counter", set.family);
        for (event, n) in set.values {
            let _ = writeln!(out, "{}{{{}=\"{event}\"}} {n}", set.family, set.label);
        }
    }

    /// The counters as a [`CounterSet`](crate::stats::CounterSet): family
    /// `kiln_tasks_total`, label `event`.
    #[must_use]
    pub fn to_set(&self) -> crate::stats::CounterSet {
        let set = crate::stats::CounterSet::new(
            "kiln_tasks_total",
            "Background and outbox jobs, by what happened.",
            "event",
        );
        [
            ("spawned", self.spawned),
            ("rejected", self.rejected),
            ("enqueued", self.enqueued),
            ("done", self.done),
            ("failed", self.failed),
            ("retried", self.retried),
            ("dead", self.dead),
            ("abandoned", self.abandoned),
        ]
        .into_iter()
        .fold(set, |set, (event, n)| set.value(event, n))
    }
}

/// A job that failed every attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadTask {
    /// The job's name.
    pub name: String,
    /// How many attempts it had.
    pub attempts: u32,
    /// What the last attempt failed with.
    pub error: String,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) spawned: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) enqueued: AtomicU64,
    pub(crate) done: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dead: AtomicU64,
    pub(crate) abandoned: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> TaskCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TaskCounters {
            spawned: get(&self.spawned),
            rejected: get(&self.rejected),
            enqueued: get(&self.enqueued),
            done: get(&self.done),
            failed: get(&self.failed),
            retried: get(&self.retried),
            dead: get(&self.dead),
            abandoned: get(&self.abandoned),
        }
    }
}

/// The dead-letter log: every entry goes to `tracing` at `error`, the last
/// `kept` stay readable.
pub(crate) struct DeadLetters {
    kept: usize,
    list: Mutex<VecDeque<DeadTask>>,
}

impl DeadLetters {
    pub(crate) fn new(kept: usize) -> Self {
        DeadLetters {
            kept,
            list: Mutex::new(VecDeque::with_capacity(kept.min(64))),
        }
    }

    pub(crate) fn push(&self, counters: &Counters, dead: DeadTask) {
        bump(&counters.dead);
        tracing::error!(
            target: "kiln::tasks",
            task = %dead.name,
            attempts = dead.attempts,
            error = %dead.error,
            "task dead after its last attempt"
        );
        if self.kept == 0 {
            return;
        }
        let mut list = self
            .list
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if list.len() == self.kept {
            list.pop_front();
        }
        list.push_back(dead);
    }

    pub(crate) fn list(&self) -> Vec<DeadTask> {
        let list = self
            .list
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        list.iter().cloned().collect()
    }
}
