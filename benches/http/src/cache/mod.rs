//! The `cache` scenario (issue 14): a handler that costs about a
//! millisecond of CPU, served as it is (`/uncached`) and through a response
//! cache (`/cached`: kiln's `ResponseCache`; axum with a response cache
//! written by hand over moka, since neither axum nor tower-http has one),
//! beside a static `/hello`. `/computed` says how many times the handler
//! ran, from which the harness gets the hit ratio of each run.
//!
//! The cost is real CPU work, not a `sleep`: a sleeping handler costs the
//! server almost nothing, so a hit would save latency but no CPU, and "CPU
//! per hit against CPU per miss" would not say what a cache is for.

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;

use super::client;

pub mod axum;
pub mod kiln;
pub mod report;

/// Rounds of [`work`]'s loop: about 1 ms of one core of the benchmark
/// machine in a release build (1.0–1.06 ms measured alone, 2026-12-01; the
/// `/uncached` CPU per request the harness
/// reports is this cost plus the request's).
pub const WORK_ROUNDS: u64 = 500_000;

/// The path of the counter of handler runs.
pub const COMPUTED_PATH: &str = "/computed";

/// The endpoints whose runs get a hit ratio (the others never run the handler).
pub const COUNTED: [&str; 2] = ["cached", "uncached"];

/// The expensive handler's body: [`WORK_ROUNDS`] rounds of a multiply and
/// rotate that each depend on the last (nothing to vectorize or fold; the
/// seed is a `black_box`), then its digest as text.
#[must_use]
pub fn work() -> String {
    let mut x = std::hint::black_box(0x243F_6A88_85A3_08D3_u64);
    for i in 0..WORK_ROUNDS {
        x = (x ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    format!("computed {x:016x}\n")
}

/// What [`work`] returns, computed once: the reference body of `/cached`
/// and `/uncached`.
#[must_use]
pub fn body() -> &'static str {
    static BODY: OnceLock<String> = OnceLock::new();
    BODY.get_or_init(work)
}

/// How many times a server ran the expensive handler.
#[derive(Debug, Default)]
pub struct Computed(pub AtomicU64);

/// Reads a server's `/computed` counter.
///
/// # Errors
/// When the request fails or the body is not a number.
pub fn computed(port: u16) -> Result<u64, String> {
    let res = client::get(port, COMPUTED_PATH, &[]).map_err(|e| format!("{COMPUTED_PATH}: {e}"))?;
    String::from_utf8_lossy(&res.body)
        .trim()
        .parse()
        .map_err(|e| format!("{COMPUTED_PATH}: {e}"))
}
