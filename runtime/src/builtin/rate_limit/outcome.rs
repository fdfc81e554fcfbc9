//! What a check answers: [`RateLimitInfo`] when allowed (and the
//! `RateLimit-*` headers it adds), [`RateLimited`] and its `429` when not.

use std::fmt;

use http::StatusCode;
use http::header::{HeaderName, RETRY_AFTER};

use super::super::number_value;
use crate::error::{Error, code};
use crate::{IntoResponse, Response};

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

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

/// What [`RateLimit`](super::RateLimit) saw for this request (for `RateLimit-*` on success);
/// injectable as `&RateLimitStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus(pub Option<RateLimitInfo>);

/// `RateLimit-*` on an allowed response, when the check recorded them.
pub(crate) fn success_headers(status: &RateLimitStatus, res: &mut Response) {
    if let Some(info) = status.0 {
        let h = res.headers_mut();
        h.insert(RATELIMIT_LIMIT, number_value(u64::from(info.limit)));
        h.insert(RATELIMIT_REMAINING, number_value(u64::from(info.remaining)));
        h.insert(RATELIMIT_RESET, number_value(info.reset));
    }
}
