//! Issue 16, item 5: can the first request after startup be refused?
//!
//! Once, under heavy load, a server's first request got a `429` with
//! `ratelimit-remaining: 0`. These tests drive [`KeyedLimiter`] on a clock
//! the test sets, through every order the limiter's start instant and the
//! first check can come in (the same instant, much later, and *earlier*,
//! which a TSC-based clock read on a skewed core gives): the first check of
//! a key is admitted with its full burst left every time, because GCRA
//! starts a key with no state at the check's own time, and governor
//! saturates a time before the start to the start. A `429` needs an earlier
//! check of the same key (see the docs of `KeyedLimiter`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, FakeRelativeClock, Reference};
use governor::nanos::Nanos;

use super::super::Quota;
use super::{KeyedLimiter, RateLimitInfo};

/// A clock the test sets to any reading, backwards included.
#[derive(Clone, Default)]
struct SetClock(Arc<AtomicU64>);

impl SetClock {
    fn set(&self, at: Duration) {
        self.0
            .store(u64::try_from(at.as_nanos()).unwrap(), Ordering::SeqCst);
    }
}

impl Clock for SetClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(Duration::from_nanos(self.0.load(Ordering::SeqCst)))
    }
}

fn limiter(quota: Quota, clock: SetClock) -> KeyedLimiter<u32, SetClock> {
    KeyedLimiter::with_clock(quota, Duration::from_mins(1), clock).unwrap()
}

fn full(quota: Quota) -> RateLimitInfo {
    RateLimitInfo {
        limit: quota.burst,
        remaining: quota.burst - 1,
        reset: super::keyed::ceil_secs(quota.per_request),
    }
}

const QUOTAS: [Quota; 4] = [
    Quota {
        burst: 1,
        per_request: Duration::from_secs(1),
    },
    Quota {
        burst: 2,
        per_request: Duration::from_millis(500),
    },
    Quota {
        burst: 100,
        per_request: Duration::from_millis(600),
    },
    Quota {
        burst: 5,
        per_request: Duration::from_nanos(1),
    },
];

#[test]
fn the_first_check_is_admitted_whenever_it_comes() {
    // (limiter built at, first check at): together, later, an hour later,
    // earlier (a clock read on another core), at zero (the "no state"
    // sentinel of governor's store is a stored 0).
    let orders = [
        (Duration::from_secs(10), Duration::from_secs(10)),
        (Duration::from_secs(10), Duration::from_secs(11)),
        (Duration::from_secs(10), Duration::from_secs(3610)),
        (Duration::from_secs(10), Duration::from_secs(9)),
        (Duration::from_secs(10), Duration::ZERO),
        (Duration::ZERO, Duration::ZERO),
    ];
    for quota in QUOTAS {
        for (built, first) in orders {
            let clock = SetClock::default();
            clock.set(built);
            let limits = limiter(quota, clock.clone());
            clock.set(first);
            for key in 0..50 {
                assert_eq!(
                    limits.check(&key),
                    Ok(full(quota)),
                    "{quota:?}, built at {built:?}, first check at {first:?}, key {key}"
                );
            }
        }
    }
}

#[test]
fn only_an_earlier_check_of_the_same_key_can_refuse_it() {
    // The one way to the reported 429: the key was checked before (a second
    // client behind the same address, a probe, a retry), with a burst of 1.
    let clock = SetClock::default();
    clock.set(Duration::from_secs(5));
    let limits = limiter(QUOTAS[0], clock.clone());
    assert!(limits.check(&1).is_ok());
    let refused = limits.check(&1).unwrap_err();
    assert_eq!((refused.limit, refused.retry_after), (1, 1));
    // Another key is unaffected.
    assert_eq!(limits.check(&2), Ok(full(QUOTAS[0])));
}

#[test]
fn a_clock_that_jumps_back_refuses_only_what_the_quota_already_spent() {
    // Burst 2 every 500 ms: one check at 100 s, then the clock reads 90 s
    // (10 s back). The key has one request left, as at 100 s.
    let clock = SetClock::default();
    clock.set(Duration::from_secs(100));
    let limits = limiter(QUOTAS[1], clock.clone());
    assert_eq!(limits.check(&7).map(|i| i.remaining), Ok(1));
    clock.set(Duration::from_secs(90));
    assert_eq!(limits.check(&7).map(|i| i.remaining), Ok(0));
    assert!(limits.check(&7).is_err());
}

#[test]
fn governors_fake_clock_works_too() {
    let clock = FakeRelativeClock::default();
    clock.advance(Duration::from_secs(1));
    let limits: KeyedLimiter<u32, FakeRelativeClock> =
        KeyedLimiter::with_clock(QUOTAS[0], Duration::from_mins(1), clock.clone()).unwrap();
    assert!(limits.check(&1).is_ok());
    assert!(limits.check(&1).is_err());
    clock.advance(Duration::from_secs(1));
    assert!(limits.check(&1).is_ok());
    // `Reference` is what the limiter computes waits with.
    assert_eq!(clock.now().duration_since(clock.now()), Nanos::from(0u64));
}
