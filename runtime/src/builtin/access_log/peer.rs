//! The client's address as text for the event, without `fmt` for IPv4 (the
//! common case; `Display` writes each octet through `fmt`'s padding machinery,
//! about a thousand instructions) and without allocating for either.

use std::io::Write as _;
use std::net::SocketAddr;

/// Room for the longest `SocketAddr`: `[v6%scope]:port` is at most 58 bytes.
pub(super) struct PeerText {
    buf: [u8; 64],
}

impl PeerText {
    pub(super) fn new() -> Self {
        PeerText { buf: [0; 64] }
    }

    /// `addr` as `Display` writes it.
    pub(super) fn format(&mut self, addr: SocketAddr) -> &str {
        let len = match addr {
            SocketAddr::V4(v4) => {
                let mut at = 0;
                for (i, octet) in v4.ip().octets().into_iter().enumerate() {
                    if i > 0 {
                        self.buf[at] = b'.';
                        at += 1;
                    }
                    at += octet_text(&mut self.buf[at..], octet);
                }
                self.buf[at] = b':';
                at + 1 + decimal(&mut self.buf[at + 1..], v4.port())
            }
            SocketAddr::V6(_) => {
                let mut rest = &mut self.buf[..];
                // Cannot fail: 64 bytes hold every IPv6 socket address.
                let _ = write!(rest, "{addr}");
                64 - rest.len()
            }
        };
        std::str::from_utf8(&self.buf[..len]).unwrap_or_default()
    }
}

/// Writes an octet in decimal at the start of `out`; returns its length.
fn octet_text(out: &mut [u8], n: u8) -> usize {
    let (hundreds, tens, ones) = (n / 100, n / 10 % 10, n % 10);
    if n >= 100 {
        out[..3].copy_from_slice(&[b'0' + hundreds, b'0' + tens, b'0' + ones]);
        3
    } else if n >= 10 {
        out[..2].copy_from_slice(&[b'0' + tens, b'0' + ones]);
        2
    } else {
        out[0] = b'0' + ones;
        1
    }
}

/// Writes `n` in decimal at the start of `out`; returns its length.
fn decimal(out: &mut [u8], n: u16) -> usize {
    let mut digits = [0u8; 5];
    let mut len = 0;
    let mut n = n;
    loop {
        digits[len] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (slot, digit) in out.iter_mut().zip(digits[..len].iter().rev()) {
        *slot = *digit;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_display() {
        for addr in [
            "0.0.0.0:0",
            "127.0.0.1:40000",
            "255.255.255.255:65535",
            "10.20.3.100:8",
            "[::1]:443",
            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
            "[fe80::1%4294967295]:65535",
        ] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(PeerText::new().format(addr), addr.to_string());
        }
    }
}
