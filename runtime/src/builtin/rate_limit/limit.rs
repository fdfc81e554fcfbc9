//! [`RateLimit`], the middleware: the default quota and one limiter per
//! route with a quota of its own.

use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

#[cfg(feature = "redis")]
use super::super::Quota;
use super::super::SocketPeer;
use super::client_ip::Net;
use super::outcome::success_headers;
use super::{ClientIpHeader, KeyedLimiter, RateLimitStatus, RateLimited};
use crate::{Request, Response, RouteLimits, RouteRate, middleware};

/// Per-route limiters, by route index (`None`: the quota failed to build).
type RouteSlots = OnceLock<Box<[OnceLock<Option<KeyedLimiter<IpAddr>>>]>>;

/// The rate limiting middleware: a [`Quota`](super::super::Quota) per client IP, configured with
/// [`RateLimit::builder`], with per-route quotas and exemptions declared on
/// the routes in `chain!` (`#[limit(rate = Quota::per_minute(5))]`,
/// `#[limit(rate = exempt)]`, on a route or a scope).
///
/// The client IP is the socket peer's, unless the peer is a trusted proxy
/// ([`RateLimitBuilder::trusted_proxies`](super::RateLimitBuilder::trusted_proxies)): then the proxy's header
/// (`X-Forwarded-For` by default, or `Forwarded`; only the one you name, so a
/// client cannot pick the other) is read from the right, skipping trusted
/// proxies, and the first other address is the client. IPv6 clients are
/// keyed by their /64 (one host usually owns a whole /64; change it with
/// [`RateLimitBuilder::ipv6_prefix`](super::RateLimitBuilder::ipv6_prefix)). Without a socket address (an app
/// mounted as a tower service without connection info) every request shares
/// one key.
///
/// Over the quota: `429` with `Retry-After`, `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds). With
/// [`RateLimitBuilder::headers_on_success`](super::RateLimitBuilder::headers_on_success) the `RateLimit-*` headers are
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
    pub(super) default: Option<KeyedLimiter<IpAddr>>,
    /// One slot per route of the app, filled when a route with its own
    /// quota is first hit (the app's route count comes with the request).
    pub(super) routes: RouteSlots,
    pub(super) sweep: Duration,
    pub(super) proxies: Vec<Net>,
    pub(super) header: ClientIpHeader,
    pub(super) ipv6_prefix: u8,
    pub(super) headers_on_success: bool,
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

impl RateLimit {
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
