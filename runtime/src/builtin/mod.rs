//! Built-in middleware: CORS, JWT auth, rate limiting, access log, security
//! headers, request id, server timing, body limit, timeout, catch panic and
//! compression (feature `compression`).
//!
//! Each is a library middleware: a config struct, built with a builder that
//! validates it (a [`ConfigError`] names the middleware and the fix), registered
//! as a singleton and listed in `chain!` like any `#[middleware]` — globally, or
//! per route with `with [...]`. Its `&self` is that singleton.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::builtin::{Cors, RequestId, RequestIds, SecurityHeaders};
//!
//! #[handler]
//! fn hello(id: &RequestId) -> String {
//!     format!("hello, request {id}")
//! }
//!
//! chain! {
//!     struct Api;
//!     singletons { cors: Cors, ids: RequestIds, security: SecurityHeaders }
//!     middleware { kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::SecurityHeaders }
//!     routes { GET "/" => hello }
//! }
//!
//! let cors = Cors::builder().allow_origin("https://app.example").build().unwrap();
//! let app = Api::new(ApiSingletons { cors, ids: RequestIds::new(), security: SecurityHeaders::default() });
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let res = TestClient::new(app)
//!     .get("/")
//!     .header("origin", "https://app.example")
//!     .send()
//!     .await;
//! assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
//! assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
//! assert!(res.header("x-request-id").is_some());
//! # });
//! ```
//!
//! # Default priorities
//!
//! Lower runs earlier on the way in and later on the way out. The defaults put
//! every built-in outside user middleware (priority 0 and up), in this order;
//! a listing overrides one (`kiln::builtin::Cors(priority = 5)`).
//!
//! | priority | middleware | kind | why here |
//! |---:|---|---|---|
//! | -100 | [`Cors`] | pre + post | outermost: answers preflights first, and its post hook adds CORS headers to every response, 401/404/429/500 included, so browsers can read them |
//! | -90 | [`RequestIds`] | pre + post | before anything that logs; provides `RequestId`, echoed on every response |
//! | -85 | [`ServerTiming`] | pre + post | measures everything inside it |
//! | -80 | [`AccessLog`] | pre + post | outside auth, limits and panics, so it logs their 401/429/500; needs `RequestId` (from [`RequestIds`]) |
//! | -70 | [`SecurityHeaders`] | post | adds headers to short-circuited and failed responses too |
//! | -60 | [`CatchPanic`] | wrap | turns a panic inside it into a 500 that the middleware above still see |
//! | -50 | [`Timeout`] | wrap | bounds everything inside it, handler included |
//! | -40 | [`BodyLimit`] | pre | rejects oversized bodies before any work |
//! | -35 | `Compression` | pre + post | decodes request bodies inside the wire-size limit; compresses the response after everything inside it shaped it; `406` before any work |
//! | -30 | `RateLimit`, `RedisRateLimit` | pre | by client IP, before auth spends CPU on signatures; `RedisRateLimit` shares one quota across instances |
//! | -20 | `JwtAuth` | pre | provides `JwtClaims` to everything inside it |
//! | -15 | `ResponseCache` | pre + post | a hit skips everything inside it, after auth and limits ran; stores what your middleware shaped |
//!
//! # Allocations
//!
//! On their common paths the built-ins allocate nothing of their own, with two
//! exceptions that must build a header value: a generated [`RequestId`] and the
//! [`ServerTiming`] value. Both are written into a per-thread 4 KiB slab that
//! is shared by the values cut from it, so they cost one slab (two allocations)
//! per ~100 requests per thread instead of one allocation each.
//! Text, bytes and JSON responses start with room for 16 headers, so the
//! stack's headers do not make the response's `HeaderMap` grow; a response
//! built by hand with `Response::new` starts with http's default and may.
//! `JwtAuth` allocates what decoding a token needs.

mod access_log;
mod body_limit;
mod catch_panic;
#[cfg(feature = "compression")]
mod compression;
mod cors;
#[cfg(feature = "jwt")]
mod jwt;
mod quota;
pub use quota::Quota;
#[cfg(feature = "rate-limit")]
mod rate_limit;
#[cfg(feature = "redis")]
mod redis_limit;
mod request_id;
#[cfg(feature = "cache")]
mod response_cache;
mod security_headers;
mod server_timing;
mod timeout;

use std::cell::RefCell;
use std::fmt;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use http::HeaderValue;
use http::header::InvalidHeaderValue;

use crate::{FromRequestParts, Request, RequestCx};

pub use access_log::{AccessLog, AccessLogBuilder, AccessLogStart};
#[cfg(feature = "access-log-layer")]
pub use access_log::{AccessLogLayer, skip_access_log};
pub use body_limit::{BodyLimit, BodyTooLarge};
pub use catch_panic::CatchPanic;
#[cfg(feature = "compression")]
pub use compression::{Compression, CompressionBuilder, DecompressedTooLarge, Negotiated};
pub use cors::{Cors, CorsBuilder, CorsDecision};
#[cfg(feature = "jwt")]
pub use jwt::{
    Algorithm, Audience, JwtAuth, JwtAuthBuilder, JwtClaims, JwtIssueError, JwtKey, JwtRejection,
};
#[cfg(feature = "rate-limit")]
pub use rate_limit::{
    ClientIpHeader, KeyedLimiter, RateLimit, RateLimitBuilder, RateLimitInfo, RateLimitStatus,
    RateLimited,
};
#[cfg(feature = "redis")]
pub use redis_limit::{RedisRateLimit, RedisRateLimitBuilder, WhenUnavailable};
pub use request_id::{RequestId, RequestIds, RequestIdsBuilder};
#[cfg(feature = "cache")]
pub use response_cache::{CacheLookup, ResponseCache, ResponseCacheBuilder};
pub use security_headers::{SecurityHeaders, SecurityHeadersBuilder};
pub use server_timing::{ServerTiming, ServerTimingStart};
pub use timeout::Timeout;

/// A built-in middleware's configuration is invalid: which middleware, what is
/// wrong and how to fix it.
///
/// ```
/// let err = kiln::builtin::Cors::builder()
///     .allow_any_origin()
///     .allow_credentials(true)
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().starts_with("invalid `Cors` configuration: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    middleware: &'static str,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(middleware: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            middleware,
            message: message.into(),
        }
    }

    /// The middleware whose configuration is invalid, e.g. `"Cors"`.
    #[must_use]
    pub fn middleware(&self) -> &'static str {
        self.middleware
    }

    /// What is wrong, and the fix.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid `{}` configuration: {}",
            self.middleware, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// The client's socket address when it is known: an extractor that never
/// rejects (unlike [`PeerAddr`](crate::PeerAddr), which is a 500 when the app
/// is not served by [`serve`](crate::serve)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketPeer(pub Option<SocketAddr>);

impl FromRequestParts for SocketPeer {
    type Rejection = std::convert::Infallible;

    #[inline]
    fn from_request_parts(_: &Request, cx: &RequestCx<'_>) -> Result<Self, Self::Rejection> {
        Ok(SocketPeer(cx.conn().peer))
    }
}

/// A header value for configuration: its bytes live in one shared allocation
/// made now, so cloning it per request is a reference count increment.
/// (`HeaderValue::from_str` copies into a `Vec`-backed buffer whose first
/// clone allocates.)
pub(crate) fn config_value(s: &str) -> Result<HeaderValue, InvalidHeaderValue> {
    HeaderValue::from_maybe_shared(Bytes::from_owner(s.as_bytes().to_vec()))
}

/// Per-thread slab that per-request header values are cut from.
const SLAB: usize = 4096;

thread_local! {
    static SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// A header value built per request without an allocation of its own: the
/// bytes `write` produces (at most `N`) are copied into a per-thread slab and
/// the value shares it. A fresh slab (two allocations) is taken when the
/// current one is full, about every 100 values.
pub(crate) fn scratch_value<const N: usize>(
    write: impl FnOnce(&mut [u8; N]) -> usize,
) -> HeaderValue {
    let mut buf = [0u8; N];
    let len = write(&mut buf).min(N);
    let bytes = &buf[..len];
    let shared = SCRATCH.with(|slab| {
        let mut slab = slab.borrow_mut();
        if slab.capacity() - slab.len() < len {
            *slab = BytesMut::with_capacity(SLAB.max(len));
        }
        slab.extend_from_slice(bytes);
        slab.split().freeze()
    });
    // The writers only produce visible ASCII; fall back to a copy otherwise.
    HeaderValue::from_maybe_shared(shared).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Writes `n` in decimal at the start of `out`, returning the length.
pub(crate) fn write_u64(out: &mut [u8], mut n: u64) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        // `n % 10` < 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        tmp[i] = b'0' + digit;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = tmp.len() - i;
    out[..len].copy_from_slice(&tmp[i..]);
    len
}

/// A decimal header value (`Retry-After`, `RateLimit-*`).
#[cfg_attr(not(any(feature = "rate-limit", feature = "cache")), allow(dead_code))]
pub(crate) fn number_value(n: u64) -> HeaderValue {
    scratch_value::<20>(|buf| write_u64(buf, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 12_345, u64::MAX] {
            assert_eq!(number_value(n).to_str().unwrap(), n.to_string());
        }
    }

    #[test]
    fn scratch_values_survive_their_slab() {
        let values: Vec<HeaderValue> = (0..1000u64).map(number_value).collect();
        for (n, v) in values.iter().enumerate() {
            assert_eq!(v.to_str().unwrap(), n.to_string());
        }
    }
}
