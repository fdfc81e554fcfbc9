//! [`KeyedLimiter`]: GCRA on `governor` for any key, with stale keys swept.

use std::cell::Cell;
use std::fmt;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;

use super::super::{ConfigError, Quota};
use super::{RateLimitInfo, RateLimited};

impl Quota {
    fn to_governor(self, what: &str) -> Result<governor::Quota, ConfigError> {
        let err = |m: String| ConfigError::new("RateLimit", m);
        let burst = NonZeroU32::new(self.burst).ok_or_else(|| {
            err(format!(
                "{what}: a quota of 0 requests blocks everything; exempt the route instead"
            ))
        })?;
        let q = governor::Quota::with_period(self.per_request).ok_or_else(|| {
            err(format!(
                "{what}: the replenish period is zero (more than one request per nanosecond?)"
            ))
        })?;
        Ok(q.allow_burst(burst))
    }
}

type Store<K> = DashMapStateStore<K, foldhash::fast::RandomState>;
type Governor<K, C> = governor::RateLimiter<K, Store<K>, C, StateInformationMiddleware>;

/// A GCRA rate limiter keyed by any `K`: the building block of [`RateLimit`](super::RateLimit)
/// (which keys by client IP), for limiting by user, API key or tenant in a
/// middleware of your own.
///
/// A check takes a read lock on one shard of a sharded map (seeded fast
/// hash) and updates the key's state with an atomic compare-and-swap, so the
/// limit holds exactly under concurrency. Keys whose state is indistinguishable from a fresh one
/// are swept every `sweep_interval` (default 60 s; checked every 1024 requests
/// of a thread, so idle limiters do no work), bounding memory by the number
/// of keys active within a sweep interval.
///
/// `C` is the clock: governor's default (quanta's TSC-based one) unless
/// [`with_clock`](KeyedLimiter::with_clock) is given another, such as
/// `governor::clock::FakeRelativeClock` to test limits without waiting.
///
/// A key's first check is always admitted with its whole burst left
/// (`remaining` = burst − 1), whatever the clock read when the limiter was
/// built: GCRA starts a key with no state at "now", and a clock reading from
/// before the limiter's start (a skewed core) counts as its start.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{KeyedLimiter, Quota, RateLimited};
///
/// struct Tenant(String);
///
/// #[middleware(priority = 10, pre_route)]
/// fn tenant(req: &Request) -> Tenant {
///     Tenant(req.headers().get("x-tenant").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned())
/// }
///
/// #[middleware(priority = 20, pre_route)]
/// fn per_tenant(limits: &KeyedLimiter<String>, t: &Tenant) -> Result<(), RateLimited> {
///     limits.check(&t.0).map(drop)
/// }
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { limits: KeyedLimiter<String> }
///     middleware { tenant, per_tenant }
///     routes { GET "/" => index }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { limits: KeyedLimiter::new(Quota::per_minute(2)).unwrap() }));
/// for _ in 0..2 {
///     assert_eq!(client.get("/").header("x-tenant", "a").send().await.status(), StatusCode::OK);
/// }
/// let res = client.get("/").header("x-tenant", "a").send().await;
/// assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(res.header("retry-after"), Some("30"));
/// assert_eq!(client.get("/").header("x-tenant", "b").send().await.status(), StatusCode::OK);
/// # });
/// ```
pub struct KeyedLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    limiter: Governor<K, C>,
    quota: Quota,
    origin: Instant,
    /// Milliseconds since `origin` at which the next sweep is due.
    next_sweep: AtomicU64,
    sweep_ms: u64,
}

impl<K: Hash + Eq + Clone, C: Clock> fmt::Debug for KeyedLimiter<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("quota", &self.quota)
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Checks made on this thread, to look at the sweep clock every 1024.
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter with this quota per key, swept every 60 s.
    ///
    /// # Errors
    /// A quota of 0 requests or with a zero period.
    pub fn new(quota: Quota) -> Result<Self, ConfigError> {
        Self::with_sweep_interval(quota, Duration::from_mins(1))
    }

    /// A limiter that sweeps stale keys at most every `interval`.
    ///
    /// # Errors
    /// A quota of 0 requests or with a zero period.
    pub fn with_sweep_interval(quota: Quota, interval: Duration) -> Result<Self, ConfigError> {
        KeyedLimiter::with_clock(quota, interval, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> KeyedLimiter<K, C> {
    /// A limiter on `clock`, sweeping stale keys at most every `interval`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use governor::clock::FakeRelativeClock;
    /// use kiln::builtin::{KeyedLimiter, Quota};
    ///
    /// let clock = FakeRelativeClock::default();
    /// let limits = KeyedLimiter::with_clock(Quota::per_second(1), Duration::from_mins(1), clock.clone()).unwrap();
    /// assert!(limits.check(&"a").is_ok());
    /// assert!(limits.check(&"a").is_err());
    /// clock.advance(Duration::from_secs(1));
    /// assert!(limits.check(&"a").is_ok());
    /// ```
    ///
    /// # Errors
    /// A quota of 0 requests or with a zero period.
    pub fn with_clock(quota: Quota, interval: Duration, clock: C) -> Result<Self, ConfigError> {
        let q = quota.to_governor("quota")?;
        let limiter = governor::RateLimiter::dashmap_with_clock_and_hasher(
            q,
            clock,
            foldhash::fast::RandomState::default(),
        )
        .with_middleware::<StateInformationMiddleware>();
        let sweep_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        Ok(KeyedLimiter {
            limiter,
            quota,
            origin: Instant::now(),
            next_sweep: AtomicU64::new(sweep_ms),
            sweep_ms,
        })
    }

    /// Counts one request for `key`.
    ///
    /// # Errors
    /// [`RateLimited`] when `key` is over its quota.
    #[inline]
    pub fn check(&self, key: &K) -> Result<RateLimitInfo, RateLimited> {
        self.maybe_sweep();
        let burst = self.quota.burst;
        let per = self.quota.per_request;
        match self.limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Ok(RateLimitInfo {
                    limit: burst,
                    remaining,
                    reset: ceil_secs(per.saturating_mul(burst.saturating_sub(remaining))),
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                Err(RateLimited {
                    limit: burst,
                    retry_after: ceil_secs(wait).max(1),
                    reset: ceil_secs(wait + per.saturating_mul(burst.saturating_sub(1))).max(1),
                })
            }
        }
    }

    /// Removes the keys whose state is the same as a fresh key's (their burst
    /// is full again). Runs on its own every sweep interval; call it from a
    /// timer of yours to sweep on a schedule instead.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// The number of keys held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }

    /// The quota.
    #[must_use]
    pub fn quota(&self) -> Quota {
        self.quota
    }

    #[inline]
    fn maybe_sweep(&self) {
        let tick = TICKS.with(|t| {
            let n = t.get().wrapping_add(1);
            t.set(n);
            n
        });
        if tick.is_multiple_of(1024) {
            self.sweep_if_due();
        }
    }

    #[cold]
    fn sweep_if_due(&self) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now >= due
            && self
                .next_sweep
                .compare_exchange(
                    due,
                    now.saturating_add(self.sweep_ms),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            self.sweep();
        }
    }
}

pub(super) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_keys_are_swept() {
        let l: KeyedLimiter<u32> =
            KeyedLimiter::new(Quota::with_period(Duration::from_millis(1))).unwrap();
        for k in 0..500 {
            l.check(&k).unwrap();
        }
        assert_eq!(l.len(), 500);
        std::thread::sleep(Duration::from_millis(5));
        l.sweep();
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn retry_after_rounds_up() {
        let l: KeyedLimiter<u8> = KeyedLimiter::new(Quota::per_minute(3)).unwrap();
        for _ in 0..3 {
            l.check(&1).unwrap();
        }
        let e = l.check(&1).unwrap_err();
        assert_eq!(e.limit, 3);
        assert!((19..=20).contains(&e.retry_after), "{e:?}");
        assert!((59..=60).contains(&e.reset), "{e:?}");
    }
}
