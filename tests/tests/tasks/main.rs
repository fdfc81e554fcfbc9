//! `kiln::tasks`: the in-process queue (backpressure, timeouts, retries,
//! dead letters, drain) and the outbox (a job exists iff its transaction
//! committed; a worker that dies mid-job leaves it to another after the
//! lease), on SQLite and, with `KILN_TEST_POSTGRES_URL`, on Postgres
//! (without it those print SKIP; in CI they fail); a worker process killed
//! with SIGKILL mid-job (SQLite).

#[path = "../db/support.rs"]
mod support;

mod crash;
mod local;
mod outbox;
mod stats;

use std::time::Duration;

/// Waits until `done()` holds, checking every 10 ms, failing after 20 s.
pub(crate) async fn eventually(what: &str, done: impl Fn() -> bool) {
    support::no_hang(what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
