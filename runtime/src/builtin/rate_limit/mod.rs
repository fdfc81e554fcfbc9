//! Rate limiting on `governor`'s GCRA: per client IP (behind trusted proxies)
//! or per any key, with per-route quotas, `429` + `Retry-After` +
//! `RateLimit-*`, and stale keys swept.

use std::cell::Cell;
use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use http::header::{FORWARDED, HeaderName, RETRY_AFTER};
use http::{HeaderMap, StatusCode};

use super::{ConfigError, Quota, SocketPeer, number_value};
use crate::error::{Error, code};
use crate::{IntoResponse, Request, Response, RouteLimits, RouteRate, middleware};

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

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

/// A GCRA rate limiter keyed by any `K`: the building block of [`RateLimit`]
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

/// What a successful check saw: the limit and what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitInfo {
    /// The burst size.
    pub limit: u32,
    /// Requests left in the current burst.
    pub remaining: u32,
    /// Seconds until the full burst is available again.
    pub reset: u64,
}

/// A request over its quota: `429 Too Many Requests` with `Retry-After`,
/// `RateLimit-Limit`, `RateLimit-Remaining: 0` and `RateLimit-Reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// The burst size.
    pub limit: u32,
    /// Seconds until a request will be allowed again (at least 1).
    pub retry_after: u64,
    /// Seconds until the full burst is available again.
    pub reset: u64,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited; retry after {} s", self.retry_after)
    }
}

impl std::error::Error for RateLimited {}

/// The [`Error`]: `429`, code `rate_limited`, with `Retry-After` and `RateLimit-*`.
impl From<RateLimited> for Error {
    fn from(r: RateLimited) -> Self {
        Error::new(StatusCode::TOO_MANY_REQUESTS, code::RATE_LIMITED)
            .message("too many requests; retry after the number of seconds in `Retry-After`")
            .header(RETRY_AFTER, number_value(r.retry_after))
            .header(RATELIMIT_LIMIT, number_value(u64::from(r.limit)))
            .header(RATELIMIT_REMAINING, number_value(0))
            .header(RATELIMIT_RESET, number_value(r.reset))
    }
}

impl IntoResponse for RateLimited {
    fn into_response(self) -> Response {
        Error::from(self).into_response()
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

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Which header a trusted proxy puts the client address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// A CIDR block of trusted proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|&p| p <= max)?,
            None => max,
        };
        Some(Net {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// An address in a forwarding header: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`,
/// `[2001:db8::1]:80`, optionally quoted.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// Per-route limiters, by route index (`None`: the quota failed to build).
type RouteSlots = OnceLock<Box<[OnceLock<Option<KeyedLimiter<IpAddr>>>]>>;

/// The rate limiting middleware: a [`Quota`] per client IP, configured with
/// [`RateLimit::builder`], with per-route quotas and exemptions declared on
/// the routes in `chain!` (`#[limit(rate = Quota::per_minute(5))]`,
/// `#[limit(rate = exempt)]`, on a route or a scope).
///
/// The client IP is the socket peer's, unless the peer is a trusted proxy
/// ([`RateLimitBuilder::trusted_proxies`]): then the proxy's header
/// (`X-Forwarded-For` by default, or `Forwarded`; only the one you name, so a
/// client cannot pick the other) is read from the right, skipping trusted
/// proxies, and the first other address is the client. IPv6 clients are
/// keyed by their /64 (one host usually owns a whole /64; change it with
/// [`RateLimitBuilder::ipv6_prefix`]). Without a socket address (an app
/// mounted as a tower service without connection info) every request shares
/// one key.
///
/// Over the quota: `429` with `Retry-After`, `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds). With
/// [`RateLimitBuilder::headers_on_success`] the `RateLimit-*` headers are
/// also added to allowed responses (three small values per response).
///
/// Each route with its own quota is counted separately from the default
/// quota and from every other route; exempt routes are not counted. A route
/// quota is a constant that `chain!` checks at compile time, so it cannot
/// name a route that does not exist, nor be 0.
///
/// Default priority -30: before auth, so floods are turned away before any
/// signature is checked. To limit by user instead, use a [`KeyedLimiter`]
/// in a middleware after auth.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{Quota, RateLimit};
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { limit: RateLimit }
///     middleware { kiln::builtin::RateLimit }
///     routes {
///         GET "/" => index,
///         #[limit(rate = Quota::per_minute(5))]
///         POST "/login" => index,
///         #[limit(rate = exempt)]
///         GET "/health" => index,
///     }
/// }
///
/// let limit = RateLimit::builder()
///     .quota(Quota::per_second(50).burst(100))
///     .trusted_proxies(["10.0.0.0/8"])
///     .build()
///     .unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { limit }));
/// for _ in 0..5 {
///     assert_eq!(client.post("/login").send().await.status(), StatusCode::OK);
/// }
/// let res = client.post("/login").send().await;
/// assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(res.header("ratelimit-limit"), Some("5"));
/// assert_eq!(client.get("/").send().await.status(), StatusCode::OK);
/// # });
/// ```
pub struct RateLimit {
    default: Option<KeyedLimiter<IpAddr>>,
    /// One slot per route of the app, filled when a route with its own
    /// quota is first hit (the app's route count comes with the request).
    routes: RouteSlots,
    sweep: Duration,
    proxies: Vec<Net>,
    header: ClientIpHeader,
    ipv6_prefix: u8,
    headers_on_success: bool,
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("default", &self.default)
            .field("routes", &self.routes)
            .field("proxies", &self.proxies)
            .field("header", &self.header)
            .field("ipv6_prefix", &self.ipv6_prefix)
            .finish_non_exhaustive()
    }
}

/// What [`RateLimit`] saw for this request (for `RateLimit-*` on success);
/// injectable as `&RateLimitStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus(pub Option<RateLimitInfo>);

impl RateLimit {
    /// Starts a configuration (a default quota is required unless every
    /// route is configured).
    pub fn builder() -> RateLimitBuilder {
        RateLimitBuilder {
            quota: None,
            proxies: Vec::new(),
            header: ClientIpHeader::XForwardedFor,
            ipv6_prefix: 64,
            headers_on_success: false,
            sweep: Duration::from_mins(1),
        }
    }

    /// The key a request is counted under: the client IP, masked.
    #[must_use]
    pub fn client_key(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let ip = self.client_ip(peer, headers).to_canonical();
        match ip {
            IpAddr::V6(_) => mask(ip, self.ipv6_prefix),
            IpAddr::V4(_) => ip,
        }
    }

    fn client_ip(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let Some(peer) = peer.map(|p| p.ip()) else {
            // Not behind `serve` (no socket): everyone shares one bucket.
            return IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        };
        if self.proxies.is_empty() || !self.trusted(peer) {
            return peer;
        }
        let mut last = peer;
        match self.header {
            ClientIpHeader::XForwardedFor => {
                for value in headers.get_all(X_FORWARDED_FOR).iter().rev() {
                    let Ok(v) = value.to_str() else { return last };
                    for hop in v.rsplit(',') {
                        match parse_hop(hop) {
                            Some(ip) if !self.trusted(ip) => return ip,
                            Some(ip) => last = ip,
                            None => return last,
                        }
                    }
                }
            }
            ClientIpHeader::Forwarded => {
                for value in headers.get_all(FORWARDED).iter().rev() {
                    let Ok(v) = value.to_str() else { return last };
                    for element in v.rsplit(',') {
                        let hop = element.split(';').find_map(|pair| {
                            let (k, v) = pair.split_once('=')?;
                            k.trim().eq_ignore_ascii_case("for").then_some(v)
                        });
                        match hop.and_then(parse_hop) {
                            Some(ip) if !self.trusted(ip) => return ip,
                            Some(ip) => last = ip,
                            None => return last,
                        }
                    }
                }
            }
        }
        last
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|n| n.contains(ip))
    }

    /// The quota that applies to a route, and which bucket set counts it
    /// (`None`: the default's); `None` when the route is not limited.
    #[cfg(feature = "redis")]
    pub(crate) fn quota_for(&self, limits: &RouteLimits) -> Option<(Quota, Option<usize>)> {
        match limits.rate() {
            RouteRate::Default => self.default.as_ref().map(|l| (l.quota(), None)),
            RouteRate::Exempt => None,
            RouteRate::Quota(q) => Some((q, Some(limits.route_index().0))),
        }
    }

    /// Whether allowed responses get the `RateLimit-*` headers too.
    #[cfg(feature = "redis")]
    pub(crate) fn headers_on_success(&self) -> bool {
        self.headers_on_success
    }

    fn limiter(&self, limits: &RouteLimits) -> Option<&KeyedLimiter<IpAddr>> {
        let quota = match limits.rate() {
            RouteRate::Default => return self.default.as_ref(),
            RouteRate::Exempt => return None,
            RouteRate::Quota(q) => q,
        };
        let (route, count) = limits.route_index();
        let slots = self
            .routes
            .get_or_init(|| (0..count).map(|_| OnceLock::new()).collect());
        let Some(slot) = slots.get(route) else {
            // This limiter serves two apps with different routes.
            tracing::error!(
                route,
                count,
                "RateLimit shared by two apps; using the default quota"
            );
            return self.default.as_ref();
        };
        slot.get_or_init(
            || match KeyedLimiter::with_sweep_interval(quota, self.sweep) {
                Ok(l) => Some(l),
                // Unreachable: `chain!` checked the quota at compile time.
                Err(e) => {
                    tracing::error!(error = %e, "invalid route quota; the route is not limited");
                    None
                }
            },
        )
        .as_ref()
    }
}

#[middleware(priority = -30, pre_route, post_route)]
impl RateLimit {
    /// Counts the request against its client's quota.
    ///
    /// # Errors
    /// [`RateLimited`] (429) over the quota.
    #[inline]
    pub fn pre(
        &self,
        req: &Request,
        limits: RouteLimits,
        peer: SocketPeer,
    ) -> Result<RateLimitStatus, RateLimited> {
        let Some(limiter) = self.limiter(&limits) else {
            return Ok(RateLimitStatus(None));
        };
        let info = limiter.check(&self.client_key(peer.0, req.headers()))?;
        Ok(RateLimitStatus(self.headers_on_success.then_some(info)))
    }

    /// Adds `RateLimit-*` to allowed responses, when configured.
    #[inline]
    pub fn post(&self, status: &RateLimitStatus, res: &mut Response) {
        success_headers(status, res);
    }
}

/// `RateLimit-*` on an allowed response, when the check recorded them.
pub(super) fn success_headers(status: &RateLimitStatus, res: &mut Response) {
    if let Some(info) = status.0 {
        let h = res.headers_mut();
        h.insert(RATELIMIT_LIMIT, number_value(u64::from(info.limit)));
        h.insert(RATELIMIT_REMAINING, number_value(u64::from(info.remaining)));
        h.insert(RATELIMIT_RESET, number_value(info.reset));
    }
}

/// Builds a [`RateLimit`]; [`build`](RateLimitBuilder::build) checks it.
#[derive(Debug, Clone)]
#[must_use]
pub struct RateLimitBuilder {
    quota: Option<Quota>,
    proxies: Vec<String>,
    header: ClientIpHeader,
    ipv6_prefix: u8,
    headers_on_success: bool,
    sweep: Duration,
}

impl RateLimitBuilder {
    /// The quota of every route that declares none of its own. Without one,
    /// only routes with `#[limit(rate = ..)]` are limited.
    pub fn quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Proxies (addresses or CIDR blocks like `10.0.0.0/8`, `fd00::/8`) whose
    /// forwarding header is believed. Without any, the socket peer is the client.
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.proxies
            .extend(proxies.into_iter().map(|p| p.as_ref().to_owned()));
        self
    }

    /// The header the trusted proxies set (default `X-Forwarded-For`).
    pub fn client_ip_header(mut self, header: ClientIpHeader) -> Self {
        self.header = header;
        self
    }

    /// How many leading bits of an IPv6 client address form its key
    /// (default 64; 128 keys each address).
    pub fn ipv6_prefix(mut self, bits: u8) -> Self {
        self.ipv6_prefix = bits;
        self
    }

    /// Also add `RateLimit-Limit`/`-Remaining`/`-Reset` to allowed responses
    /// (default: only to 429s).
    pub fn headers_on_success(mut self, on: bool) -> Self {
        self.headers_on_success = on;
        self
    }

    /// How often stale keys are swept (default 60 s).
    pub fn sweep_interval(mut self, every: Duration) -> Self {
        self.sweep = every;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// A default quota of 0; an unparsable proxy address; an IPv6 prefix
    /// above 128 or below 32.
    pub fn build(self) -> Result<RateLimit, ConfigError> {
        let err = |m: String| ConfigError::new("RateLimit", m);
        let default = match self.quota {
            Some(q) => Some(KeyedLimiter::with_sweep_interval(q, self.sweep)?),
            None => None,
        };
        let proxies = self
            .proxies
            .iter()
            .map(|p| {
                Net::parse(p).ok_or_else(|| {
                    err(format!(
                        "`{p}` is not an IP address or CIDR block like `10.0.0.0/8`"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(32..=128).contains(&self.ipv6_prefix) {
            return Err(err(format!(
                "`ipv6_prefix` must be between 32 and 128, got {}",
                self.ipv6_prefix
            )));
        }
        Ok(RateLimit {
            default,
            routes: OnceLock::new(),
            sweep: self.sweep,
            proxies,
            header: self.header,
            ipv6_prefix: self.ipv6_prefix,
            headers_on_success: self.headers_on_success,
        })
    }
}

#[cfg(test)]
mod first_request;

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[allow(clippy::unnecessary_wraps)] // the shape `client_ip` takes
    fn peer(s: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip(s), 1234))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let rl = RateLimit::builder()
            .quota(Quota::per_second(1))
            .trusted_proxies(["10.0.0.0/8", "192.168.1.1"])
            .build()
            .unwrap();
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4, 10.1.1.1")]);
        // Untrusted peer: the header is ignored.
        assert_eq!(rl.client_ip(peer("5.5.5.5"), &xff), ip("5.5.5.5"));
        // Trusted peer: rightmost untrusted hop; the client-written 6.6.6.6 is not believed.
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &xff), ip("1.2.3.4"));
        assert_eq!(rl.client_ip(peer("192.168.1.1"), &xff), ip("1.2.3.4"));
        // Several header lines read as one list.
        let two = headers(&[
            ("x-forwarded-for", "7.7.7.7"),
            ("x-forwarded-for", "10.2.2.2"),
        ]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &two), ip("7.7.7.7"));
        // Garbage stops the walk at the last trusted hop.
        let junk = headers(&[("x-forwarded-for", "nonsense, 10.3.3.3")]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &junk), ip("10.3.3.3"));
        // No header: the proxy itself.
        assert_eq!(
            rl.client_ip(peer("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // `Forwarded` is not read when the proxies set X-Forwarded-For.
        let fwd = headers(&[("forwarded", "for=9.9.9.9")]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &fwd), ip("10.0.0.1"));
    }

    #[test]
    fn rfc7239_forwarded() {
        let rl = RateLimit::builder()
            .quota(Quota::per_second(1))
            .trusted_proxies(["10.0.0.0/8"])
            .client_ip_header(ClientIpHeader::Forwarded)
            .build()
            .unwrap();
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.0.0.9",
        )]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=\"192.0.2.43:47011\";by=10.0.0.1")]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &h), ip("192.0.2.43"));
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.7")]);
        assert_eq!(rl.client_ip(peer("10.0.0.1"), &h), ip("10.0.0.7"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_prefix() {
        let rl = RateLimit::builder()
            .quota(Quota::per_second(1))
            .build()
            .unwrap();
        let a = rl.client_key(peer("2001:db8:1:2:aaaa::1"), &HeaderMap::new());
        let b = rl.client_key(peer("2001:db8:1:2:bbbb::2"), &HeaderMap::new());
        let c = rl.client_key(peer("2001:db8:1:3::1"), &HeaderMap::new());
        assert_eq!(a, b);
        assert_ne!(a, c);
        // IPv4-mapped addresses count as IPv4.
        assert_eq!(
            rl.client_key(peer("::ffff:1.2.3.4"), &HeaderMap::new()),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn config_errors_name_the_fix() {
        let e = RateLimit::builder()
            .quota(Quota::per_second(0))
            .build()
            .unwrap_err();
        assert!(e.message().contains("0 requests"), "{e}");
        let e = RateLimit::builder()
            .quota(Quota::per_second(1))
            .trusted_proxies(["10.0.0.0/33"])
            .build()
            .unwrap_err();
        assert!(e.message().contains("CIDR"), "{e}");
    }

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
