//! `client_ip`: `RateLimit`'s client address from the socket peer and the
//! `X-Forwarded-For` / `Forwarded` headers of trusted proxies.
//!
//! Input: trusted proxies (addresses or CIDR blocks, from a dictionary or raw
//! text), the header kind, the IPv6 prefix, the peer address and several
//! header values. Invariants: the builder never panics; a peer that is not a
//! trusted proxy is the client, whatever the headers say; the key is the
//! peer or an address written in the headers, masked (IPv6 keys have their
//! host bits cleared).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Unstructured;
use http::{HeaderMap, HeaderValue};
use kiln::builtin::{ClientIpHeader, RateLimit};

const PROXIES: [&str; 6] = [
    "10.0.0.0/8",
    "127.0.0.1",
    "fd00::/8",
    "::1",
    "192.168.1.0/24",
    "0.0.0.0/0",
];
const HOPS: [&str; 8] = [
    "203.0.113.7",
    "10.1.2.3",
    "198.51.100.1:4711",
    "[2001:db8::1]:443",
    "2001:db8::2",
    "\"[fd00::5]\"",
    "unknown",
    "::ffff:10.9.9.9",
];

fn pick<'a>(u: &mut Unstructured<'a>, dict: &[&'static str]) -> arbitrary::Result<&'a str> {
    let i: u8 = u.arbitrary()?;
    if usize::from(i) < dict.len() * 24 {
        Ok(dict[usize::from(i) % dict.len()])
    } else {
        u.arbitrary()
    }
}

/// See the module docs.
pub fn client_ip(data: &[u8]) {
    let _ = run(&mut Unstructured::new(data));
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let mut proxies = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        proxies.push(pick(u, &PROXIES)?);
    }
    let forwarded = u.arbitrary::<bool>()?;
    let prefix = if u.arbitrary()? { 64 } else { u.arbitrary()? };
    let built = RateLimit::builder()
        .trusted_proxies(&proxies)
        .client_ip_header(if forwarded {
            ClientIpHeader::Forwarded
        } else {
            ClientIpHeader::XForwardedFor
        })
        .ipv6_prefix(prefix)
        .build();
    let Ok(limit) = built else { return Ok(()) };
    assert!(
        (32..=128).contains(&prefix),
        "ipv6_prefix {prefix} accepted"
    );
    let nets: Vec<(IpAddr, u8)> = proxies
        .iter()
        .map(|p| net(p).expect("accepted proxies parse"))
        .collect();

    let peer = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?)),
            1,
        )),
        2 => Some(SocketAddr::new(
            IpAddr::V6(Ipv6Addr::from(u.arbitrary::<[u8; 16]>()?)),
            1,
        )),
        _ => Some(SocketAddr::new(
            pick(u, &["10.0.0.1", "127.0.0.1", "::1", "192.168.1.9"])?
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            1,
        )),
    };
    let mut headers = HeaderMap::new();
    let name = if forwarded {
        "forwarded"
    } else {
        "x-forwarded-for"
    };
    for _ in 0..u.int_in_range(0..=3)? {
        let mut value = String::new();
        for i in 0..u.int_in_range(1..=4)? {
            if i > 0 {
                value.push_str(pick(u, &[", ", ",", " ,", ";"])?);
            }
            if forwarded {
                value.push_str(pick(
                    u,
                    &["for=", "For=", "by=10.0.0.1;for=", "proto=https;for="],
                )?);
            }
            value.push_str(pick(u, &HOPS)?);
        }
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    if u.arbitrary()? {
        // A header of the other kind, which must never be read.
        let other = if forwarded {
            "x-forwarded-for"
        } else {
            "forwarded"
        };
        headers.append(other, HeaderValue::from_static("for=1.1.1.1, 1.1.1.1"));
    }

    let key = limit.client_key(peer, &headers);
    let what = format!("peer {peer:?}, proxies {proxies:?}, {headers:?}");
    let masked = |ip: IpAddr| mask(ip.to_canonical(), prefix);
    let Some(peer) = peer.map(|p| p.ip()) else {
        assert_eq!(key, IpAddr::V4(Ipv4Addr::UNSPECIFIED), "{what}: no peer");
        return Ok(());
    };
    if let IpAddr::V6(v6) = key {
        let host_bits = u128::from(v6) & !prefix_mask(prefix);
        assert_eq!(host_bits, 0, "{what}: IPv6 key {key} keeps host bits");
    }
    if !nets.iter().any(|&n| contains(n, peer)) {
        assert_eq!(
            key,
            masked(peer),
            "{what}: an untrusted peer's headers were believed"
        );
        return Ok(());
    }
    let written: Vec<IpAddr> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';', ' ', '=']))
        .filter_map(hop)
        .collect();
    assert!(
        key == masked(peer) || written.iter().any(|&ip| masked(ip) == key),
        "{what}: key {key} is neither the peer nor an address in `{name}`"
    );
    Ok(())
}

/// An address as a proxy writes it: bare, with a port, bracketed, quoted.
fn hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| s.strip_prefix('[')?.split(']').next()?.parse().ok())
}

fn net(s: &str) -> Option<(IpAddr, u8)> {
    let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
    let addr: IpAddr = a.trim().parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p.trim().parse::<u8>().ok().filter(|&p| p <= max)?,
        None => max,
    };
    Some((addr, prefix))
}

fn contains((addr, prefix): (IpAddr, u8), ip: IpAddr) -> bool {
    match (addr, ip.to_canonical()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = prefix_mask(prefix);
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

fn prefix_mask(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & prefix_mask(prefix))),
        v4 @ IpAddr::V4(_) => v4,
    }
}
