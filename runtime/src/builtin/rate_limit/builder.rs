//! [`RateLimitBuilder`]: the configuration, checked into a [`RateLimit`].

use std::sync::OnceLock;
use std::time::Duration;

use super::super::{ConfigError, Quota};
use super::client_ip::Net;
use super::{ClientIpHeader, KeyedLimiter, RateLimit};

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
mod tests {
    use super::*;

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
}
