//! Rate limiting on `governor`'s GCRA: per client IP (behind trusted proxies)
//! or per any key, with per-route quotas, `429` + `Retry-After` +
//! `RateLimit-*`, and stale keys swept.
//!
//! `keyed` is the limiter for any key, `client_ip` finds the client behind
//! trusted proxies, `limit` is the middleware with its per-route limiters,
//! `outcome` what a check answers, `builder` the checked configuration.

mod builder;
mod client_ip;
#[cfg(test)]
mod first_request;
mod keyed;
mod limit;
mod outcome;

pub use builder::RateLimitBuilder;
pub use client_ip::ClientIpHeader;
pub use keyed::KeyedLimiter;
pub use limit::RateLimit;
#[cfg(feature = "redis")]
pub(super) use outcome::success_headers;
pub use outcome::{RateLimitInfo, RateLimitStatus, RateLimited};
