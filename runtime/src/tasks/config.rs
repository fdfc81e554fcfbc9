//! [`TaskConfig`]: bounds, timeout, retries and backoff shared by the
//! in-process queue and the outbox workers.

use std::hash::BuildHasher as _;
use std::time::Duration;

/// How jobs run: how many may exist and run at once, how long one attempt
/// may take, how often a failed one is tried again and how long it waits
/// between attempts.
///
/// ```
/// use std::time::Duration;
/// use kiln::tasks::TaskConfig;
///
/// let config = TaskConfig::default()
///     .capacity(256)
///     .concurrency(4)
///     .timeout(Duration::from_secs(10))
///     .max_attempts(3)
///     .backoff(Duration::from_millis(100), Duration::from_secs(30));
/// assert_eq!(config.max_attempts_value(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct TaskConfig {
    pub(crate) capacity: usize,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) dead_letters: usize,
}

impl Default for TaskConfig {
    /// 1024 jobs, 8 at once, 30 s per attempt, 5 attempts, backoff from
    /// 500 ms up to 5 min, the last 64 dead letters kept.
    fn default() -> Self {
        TaskConfig {
            capacity: 1024,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_mins(5),
            dead_letters: 64,
        }
    }
}

impl TaskConfig {
    /// How many in-process jobs may exist at once, queued, running or
    /// waiting to retry (at least 1). One more is refused: that is the
    /// backpressure a caller sees. Outbox workers ignore it (the table is
    /// the queue).
    #[must_use]
    pub fn capacity(mut self, jobs: usize) -> Self {
        self.capacity = jobs.clamp(1, u32::MAX as usize >> 3);
        self
    }

    /// How many attempts run at the same time (at least 1).
    #[must_use]
    pub fn concurrency(mut self, jobs: usize) -> Self {
        self.concurrency = jobs.clamp(1, u32::MAX as usize >> 3);
        self
    }

    /// The longest one attempt may run; past it the attempt is dropped
    /// (cancelled at its next `.await`) and counts as failed.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Attempts before a job is dead (at least 1: no retry).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before retry `n` is `base * 2^(n-1)`, at most `max`, of
    /// which a random part (up to half) is left out so that jobs which
    /// failed together do not retry together.
    #[must_use]
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// How many dead jobs [`Tasks::dead_letters`](super::Tasks::dead_letters)
    /// keeps (the oldest go first); every one is also logged at `error`.
    #[must_use]
    pub fn dead_letters(mut self, kept: usize) -> Self {
        self.dead_letters = kept;
        self
    }

    /// The configured attempts.
    #[must_use]
    pub fn max_attempts_value(&self) -> u32 {
        self.max_attempts
    }

    /// The wait after failed attempt `attempt` (1-based), with jitter.
    pub(crate) fn backoff_after(&self, attempt: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let full = exp.min(self.backoff_max);
        // "Equal jitter": half fixed, half random.
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let random = if nanos == 0 {
            0
        } else {
            // std's per-instance random keys: enough entropy for jitter, no
            // dependency.
            std::hash::RandomState::new().hash_one(attempt) % nanos
        };
        half + Duration::from_nanos(random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let c = TaskConfig::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 1..=3u32 {
            let full = Duration::from_millis(100 * (1 << (attempt - 1)));
            let d = c.backoff_after(attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let capped = c.backoff_after(30);
        assert!(capped >= Duration::from_millis(500) && capped <= Duration::from_secs(1));
    }
}
