//! `RedisRateLimit`: [`RateLimit`]'s quotas, counted in Redis so every
//! instance of an app shares one limit.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::StatusCode;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::rate_limit::success_headers;
use super::{
    ConfigError, Quota, RateLimit, RateLimitInfo, RateLimitStatus, RateLimited, SocketPeer,
};
use crate::error::{Error, code};
use crate::{Request, Response, RouteLimits, middleware};

/// What [`RedisRateLimit`] does when Redis does not answer within its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnavailable {
    /// Admit the request (and log a warning): availability over the limit.
    FailOpen,
    /// Refuse it with `503` (code `rate_limiter_unavailable`, `Retry-After: 1`).
    FailClosed,
}

/// The local fast-path deny: clients Redis refused, until their retry time,
/// so a client hammering past its quota costs no round trip. Bounded: when it
/// holds this many entries, expired ones are dropped, then all of them.
const DENIED_MAX: usize = 65_536;

/// [`RateLimit`] backed by Redis: the same quotas (the builder's default and
/// each route's `#[limit(rate = ..)]`), the same client key (trusted proxies,
/// IPv6 prefixes) and the same `429` with `Retry-After` and `RateLimit-*`, but
/// counted in Redis, so N instances behind a load balancer admit one quota,
/// not N.
///
/// - **One round trip per check**: GCRA as a Lua script, run atomically by
///   Redis with `EVALSHA` (loaded once; `redis` reloads it after a restart).
///   Time is the Redis server's, so instances with skewed clocks agree.
/// - **Local fast-path deny**: a client Redis refused is refused locally until
///   its `Retry-After`, without asking again.
/// - **Redis down or slow**: every check is bounded by a timeout (default
///   50 ms; never a hang), then [`WhenUnavailable`] decides: fail open (the
///   default: the request is admitted and a warning logged) or fail closed
///   (`503`). It recovers by itself when Redis answers again.
///
/// Keys are `{prefix}:{route}:{client}` (prefix `kiln:rl` by default), where
/// the route is `d` for the default quota or the route's index in `chain!`:
/// instances of one build agree on it. Each expires once its bucket is full.
///
/// Default priority -30, like [`RateLimit`]. Needs the `redis` feature.
///
/// ```no_run
/// use kiln::prelude::*;
/// use kiln::builtin::{Quota, RateLimit, RedisRateLimit, WhenUnavailable};
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { limit: RedisRateLimit }
///     middleware { kiln::builtin::RedisRateLimit }
///     routes {
///         GET "/" => index,
///         #[limit(rate = Quota::per_minute(5))]
///         POST "/login" => index,
///     }
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let quotas = RateLimit::builder().quota(Quota::per_second(50)).build()?;
/// let limit = RedisRateLimit::builder(quotas)
///     .when_unavailable(WhenUnavailable::FailClosed)
///     .connect("redis://127.0.0.1:6379")
///     .await?;
/// let app = App::new(AppSingletons { limit });
/// # drop(app); Ok(()) }
/// ```
pub struct RedisRateLimit {
    quotas: RateLimit,
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
    unavailable: WhenUnavailable,
    denied: Mutex<HashMap<(Option<usize>, IpAddr), Instant>>,
}

impl fmt::Debug for RedisRateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimit")
            .field("quotas", &self.quotas)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("unavailable", &self.unavailable)
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisRateLimit`]; [`connect`](Self::connect) builds it.
#[derive(Debug)]
#[must_use]
pub struct RedisRateLimitBuilder {
    quotas: RateLimit,
    prefix: String,
    timeout: Duration,
    unavailable: WhenUnavailable,
}

impl RedisRateLimit {
    /// Starts a configuration counting `quotas` in Redis.
    pub fn builder(quotas: RateLimit) -> RedisRateLimitBuilder {
        RedisRateLimitBuilder {
            quotas,
            prefix: "kiln:rl".to_owned(),
            timeout: Duration::from_millis(50),
            unavailable: WhenUnavailable::FailOpen,
        }
    }

    /// Counts one request of `key` against `quota` in bucket set `route`.
    ///
    /// # Errors
    /// [`RateLimited`] over the quota; `Err(None)`-like unavailability is
    /// reported as `Ok(None)` here and decided by the caller.
    async fn check(
        &self,
        quota: Quota,
        route: Option<usize>,
        key: IpAddr,
    ) -> Result<Option<RateLimitInfo>, RateLimited> {
        let limit = quota.burst_size();
        let now = Instant::now();
        if let Some(until) = self.denied_until(route, key)
            && until > now
        {
            return Err(RateLimited {
                limit,
                retry_after: ceil_secs(until - now),
                reset: ceil_secs(until - now),
            });
        }
        let bucket = match route {
            Some(r) => format!("{}:{r}:{key}", self.prefix),
            None => format!("{}:d:{key}", self.prefix),
        };
        let emission = u64::try_from(quota.replenish_period().as_micros()).unwrap_or(u64::MAX);
        let mut conn = self.conn.clone();
        let mut call = self.script.key(bucket);
        call.arg(emission).arg(limit);
        let answer: Result<redis::RedisResult<(i64, i64, i64)>, _> =
            tokio::time::timeout(self.timeout, call.invoke_async(&mut conn)).await;
        let (allowed, n, reset_us) = match answer {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "RedisRateLimit: Redis failed");
                return Ok(None);
            }
            Err(_) => {
                tracing::warn!(timeout = ?self.timeout, "RedisRateLimit: Redis did not answer in time");
                return Ok(None);
            }
        };
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        if allowed == 1 {
            Ok(Some(RateLimitInfo {
                limit,
                remaining: u32::try_from(n).unwrap_or(0),
                reset: ceil_secs(micros(reset_us)),
            }))
        } else {
            let retry = micros(n);
            self.deny(route, key, now + retry);
            Err(RateLimited {
                limit,
                retry_after: ceil_secs(retry).max(1),
                reset: ceil_secs(micros(reset_us)),
            })
        }
    }

    /// Whether Redis answers now (a `PING` within the timeout). For a
    /// readiness route: `/ready` answering 503 while Redis is down.
    ///
    /// # Errors
    /// `503` (code `unavailable`) when Redis did not answer in time or failed.
    pub async fn ping(&self) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        match tokio::time::timeout(self.timeout, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "RedisRateLimit: PING failed");
                Err(Error::unavailable().message("Redis is unavailable"))
            }
            Err(_) => Err(Error::unavailable().message("Redis did not answer in time")),
        }
    }

    fn denied_until(&self, route: Option<usize>, key: IpAddr) -> Option<Instant> {
        let denied = self.denied.lock().unwrap_or_else(PoisonError::into_inner);
        denied.get(&(route, key)).copied()
    }

    fn deny(&self, route: Option<usize>, key: IpAddr, until: Instant) {
        let mut denied = self.denied.lock().unwrap_or_else(PoisonError::into_inner);
        if denied.len() >= DENIED_MAX {
            let now = Instant::now();
            denied.retain(|_, u| *u > now);
            if denied.len() >= DENIED_MAX {
                denied.clear();
            }
        }
        denied.insert((route, key), until);
    }
}

impl RedisRateLimitBuilder {
    /// The prefix of every key (default `kiln:rl`): give each app its own
    /// when several share one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a check waits for Redis before [`WhenUnavailable`] decides
    /// (default 50 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What happens when Redis does not answer in time (default
    /// [`WhenUnavailable::FailOpen`]).
    pub fn when_unavailable(mut self, mode: WhenUnavailable) -> Self {
        self.unavailable = mode;
        self
    }

    /// Connects to Redis at `url` (`redis://host:port/db`) and loads the script.
    ///
    /// # Errors
    /// A malformed URL, a zero timeout, or Redis unreachable now (within the
    /// timeout, at least 1 s): an app should not start without its limiter.
    pub async fn connect(self, url: &str) -> Result<RedisRateLimit, ConfigError> {
        let err = |m: String| ConfigError::new("RedisRateLimit", m);
        if self.timeout.is_zero() {
            return Err(err(
                "a timeout of 0 fails every check; give it at least 1 ms".into(),
            ));
        }
        let client = redis::Client::open(url).map_err(|e| err(format!("`{url}`: {e}")))?;
        let wait = self.timeout.max(Duration::from_secs(1));
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(wait))
            .set_response_timeout(Some(self.timeout));
        let conn = tokio::time::timeout(wait, client.get_connection_manager_with_config(config))
            .await
            .map_err(|_| err(format!("Redis at `{url}` did not answer within {wait:?}")))?
            .map_err(|e| err(format!("Redis at `{url}`: {e}")))?;
        let script = redis::Script::new(include_str!("gcra.lua"));
        let mut load = conn.clone();
        script
            .prepare_invoke()
            .load_async(&mut load)
            .await
            .map_err(|e| err(format!("loading the GCRA script into `{url}`: {e}")))?;
        Ok(RedisRateLimit {
            quotas: self.quotas,
            conn,
            script,
            prefix: self.prefix,
            timeout: self.timeout,
            unavailable: self.unavailable,
            denied: Mutex::new(HashMap::new()),
        })
    }
}

/// Whole seconds, rounded up.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[middleware(priority = -30, pre_route, post_route)]
impl RedisRateLimit {
    /// Counts the request in Redis against its client's quota.
    ///
    /// # Errors
    /// `429` over the quota; `503` when Redis is unavailable and the mode is
    /// [`WhenUnavailable::FailClosed`].
    pub async fn pre(
        &self,
        req: &Request,
        limits: RouteLimits,
        peer: SocketPeer,
    ) -> Result<RateLimitStatus, Error> {
        let Some((quota, route)) = self.quotas.quota_for(&limits) else {
            return Ok(RateLimitStatus(None));
        };
        let key = self.quotas.client_key(peer.0, req.headers());
        match self.check(quota, route, key).await? {
            Some(info) => Ok(RateLimitStatus(
                self.quotas.headers_on_success().then_some(info),
            )),
            None if self.unavailable == WhenUnavailable::FailOpen => Ok(RateLimitStatus(None)),
            None => Err(Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code::RATE_LIMITER_UNAVAILABLE,
            )
            .message("the rate limiter is unavailable; retry shortly")
            .header(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            )),
        }
    }

    /// Adds `RateLimit-*` to allowed responses, when configured.
    pub fn post(&self, status: &RateLimitStatus, res: &mut Response) {
        success_headers(status, res);
    }
}
