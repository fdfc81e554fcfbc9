//! The `tasks` scenario (issue 14): what a background job costs a request,
//! and how long a job waits to start.
//!
//! - `/spawn`: `Tasks::spawn` of a job that records how long after the spawn
//!   it started (in process, bounded; `202`).
//! - `/enqueue`: `Tasks::enqueue` of a job into the outbox in the request's
//!   `Tx` (`201`); one `Worker` in the same process claims and runs it and
//!   records how long after the enqueue (so: the commit, the wake-up and the
//!   claim) it started.
//! - `/hello`: the static route beside them.
//!
//! The routes are `GET` because the harness's load is `GET`s; they write all
//! the same. `/delays` (JSON [`StartDelays`]) is read by the harness around each
//! timed run: after `wrk` stops it waits until every accepted job has started,
//! so the CPU it counts includes running the jobs (for the outbox: the
//! claim, the run and marking it done), and the delays cover every job of the
//! run. Under `wrk`'s closed loop the queue is as full as the load makes it:
//! at 64 connections the delays are those of a saturated queue; at one
//! connection, of an idle one.
//!
//! kiln only: axum and actix-web have no task queue of their own (a peer
//! would be a hand-written `tokio::spawn` or a third-party crate).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::client;

pub mod kiln;
pub mod report;

/// The path of the delays report (`?reset` clears it).
pub const DELAYS_PATH: &str = "/delays";

/// The measured endpoints, whose runs wait for their jobs.
pub const COUNTED: [&str; 2] = ["spawn", "enqueue"];

/// How long the harness waits for the jobs of a run to start.
pub const SETTLE: Duration = Duration::from_secs(15);

/// Jobs accepted and the start delays of those that started, shared by the
/// handlers and the jobs.
#[derive(Clone, Default)]
pub struct Delays(Arc<Inner>);

#[derive(Default)]
struct Inner {
    accepted: AtomicU64,
    /// Start delays, µs.
    samples: Mutex<Vec<u64>>,
}

impl Delays {
    /// A job was accepted (spawned, or enqueued in a transaction).
    pub fn accept(&self) {
        self.0.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// A job started `delay` after it was accepted.
    pub fn started(&self, delay: Duration) {
        let us = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.lock().push(us);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u64>> {
        self.0
            .samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The report so far; `reset` clears it after.
    #[must_use]
    pub fn report(&self, reset: bool) -> StartDelays {
        let mut samples = self.lock();
        let accepted = if reset {
            self.0.accepted.swap(0, Ordering::Relaxed)
        } else {
            self.0.accepted.load(Ordering::Relaxed)
        };
        let mut sorted = samples.clone();
        if reset {
            samples.clear();
        }
        drop(samples);
        sorted.sort_unstable();
        let at = |q: f64| {
            if sorted.is_empty() {
                return 0;
            }
            // Nearest rank.
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1]
        };
        StartDelays {
            accepted,
            started: sorted.len() as u64,
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: sorted.last().copied().unwrap_or(0),
        }
    }
}

/// Microseconds since the Unix epoch: an outbox job carries its enqueue
/// time in its payload (the worker is in the same process, on the same clock).
#[must_use]
pub fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// What `/delays` answers: jobs accepted and started since the last reset,
/// and the start delays of the started ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartDelays {
    /// Jobs accepted (responses `202`/`201`).
    pub accepted: u64,
    /// Jobs that started.
    pub started: u64,
    /// Median start delay, µs.
    pub p50_us: u64,
    /// 99th percentile start delay, µs.
    pub p99_us: u64,
    /// Longest start delay, µs.
    pub max_us: u64,
}

/// Reads a server's `/delays` (and clears it, with `reset`).
///
/// # Errors
/// When the request fails or the body is not the report.
pub fn delays(port: u16, reset: bool) -> Result<StartDelays, String> {
    let path = if reset {
        format!("{DELAYS_PATH}?reset")
    } else {
        DELAYS_PATH.to_owned()
    };
    let res = client::get(port, &path, &[]).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_slice(&res.body).map_err(|e| format!("{path}: {e}"))
}

/// Waits until every accepted job has started (or [`SETTLE`] passed), then
/// reads and clears the report. A queue that did not drain in time is not an
/// error: the report says how many started of how many accepted (the rest
/// are the backlog, and the next run of the same server starts with it).
///
/// # Errors
/// When `/delays` fails.
pub fn settle(port: u16) -> Result<StartDelays, String> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = delays(port, false)?;
        if now.started >= now.accepted || Instant::now() > deadline {
            if now.started < now.accepted {
                eprintln!(
                    "bench: tasks: {} of {} jobs had not started {SETTLE:?} after the run (backlog)",
                    now.accepted - now.started,
                    now.accepted
                );
            }
            return delays(port, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
