//! Whom a request is counted for: the socket peer, or the client a trusted
//! proxy names in `X-Forwarded-For` or `Forwarded`; IPv6 keyed by prefix.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use http::HeaderMap;
use http::header::{FORWARDED, HeaderName};

use super::RateLimit;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

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
pub(super) struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub(super) fn parse(s: &str) -> Option<Net> {
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

impl RateLimit {
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
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::super::super::Quota;
    use super::*;

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
}
