//! [`Quota`]: how many requests a key may make. Part of every route's
//! declaration (`#[limit(rate = ..)]`), so it exists without the
//! `rate-limit` feature; the limiters that count it need the feature.

use std::time::Duration;

/// How many requests a key may make: a burst, replenished one request at a
/// time at a steady rate (GCRA: a token bucket without a refill task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// How long one request takes to replenish.
    pub(super) per_request: Duration,
    pub(super) burst: u32,
}

impl Quota {
    /// `n` requests per second, in bursts of up to `n`.
    #[must_use]
    pub const fn per_second(n: u32) -> Quota {
        Quota::n_per(n, Duration::from_secs(1))
    }

    /// `n` requests per minute, in bursts of up to `n`.
    #[must_use]
    pub const fn per_minute(n: u32) -> Quota {
        Quota::n_per(n, Duration::from_mins(1))
    }

    /// `n` requests per hour, in bursts of up to `n`.
    #[must_use]
    pub const fn per_hour(n: u32) -> Quota {
        Quota::n_per(n, Duration::from_hours(1))
    }

    /// One request per `period`, in bursts of 1 (raise it with [`Quota::burst`]).
    #[must_use]
    pub const fn with_period(period: Duration) -> Quota {
        Quota {
            per_request: period,
            burst: 1,
        }
    }

    const fn n_per(n: u32, period: Duration) -> Quota {
        Quota {
            per_request: match period.checked_div(n) {
                Some(d) => d,
                None => Duration::ZERO,
            },
            burst: n,
        }
    }

    /// Allows bursts of up to `n` requests (the steady rate is unchanged).
    #[must_use]
    pub const fn burst(mut self, n: u32) -> Quota {
        self.burst = n;
        self
    }

    /// The burst size.
    #[must_use]
    pub const fn burst_size(&self) -> u32 {
        self.burst
    }

    /// How long one request takes to replenish.
    #[must_use]
    pub const fn replenish_period(&self) -> Duration {
        self.per_request
    }

    /// The checks `RateLimit` makes when it builds a limiter, as panics for a
    /// route's `#[limit(rate = ..)]`, which `chain!` evaluates at compile time.
    pub(crate) const fn check_const(self) {
        assert!(
            self.burst != 0,
            "a quota of 0 requests blocks everything; use `#[limit(rate = exempt)]` instead"
        );
        assert!(
            !self.per_request.is_zero(),
            "the quota's replenish period is zero (more than one request per nanosecond?)"
        );
    }
}
