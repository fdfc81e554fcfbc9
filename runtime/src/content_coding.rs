//! Content codings (gzip, br, zstd) and `Accept-Encoding` negotiation
//! (RFC 9110 §12.5.3), shared by `kiln::fs` (precompressed variants) and the
//! `Compression` built-in.

// Each of the features `fs`, `fs-build` and `compression` uses a part.
#![cfg_attr(not(all(feature = "fs", feature = "compression")), allow(dead_code))]

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

/// A content coding kiln can produce or serve precompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentCoding {
    /// `gzip` (RFC 1952); files end in `.gz`.
    Gzip,
    /// `br`, Brotli (RFC 7932); files end in `.br`.
    Brotli,
    /// `zstd`, Zstandard (RFC 8878); files end in `.zst`.
    Zstd,
}

impl ContentCoding {
    /// Every coding, in kiln's default preference for ties (smallest output first).
    pub const ALL: [ContentCoding; 3] = [
        ContentCoding::Brotli,
        ContentCoding::Zstd,
        ContentCoding::Gzip,
    ];

    /// The token in `Content-Encoding` / `Accept-Encoding`: `gzip`, `br`, `zstd`.
    #[must_use]
    pub const fn token(self) -> &'static str {
        match self {
            ContentCoding::Gzip => "gzip",
            ContentCoding::Brotli => "br",
            ContentCoding::Zstd => "zstd",
        }
    }

    /// The file extension of a precompressed sibling, with its dot: `.gz`, `.br`, `.zst`.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            ContentCoding::Gzip => ".gz",
            ContentCoding::Brotli => ".br",
            ContentCoding::Zstd => ".zst",
        }
    }

    /// The coding named by a token (case-insensitive; `x-gzip` is `gzip`).
    #[must_use]
    pub fn from_token(token: &str) -> Option<ContentCoding> {
        let t = token.trim();
        if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
            Some(ContentCoding::Gzip)
        } else if t.eq_ignore_ascii_case("br") {
            Some(ContentCoding::Brotli)
        } else if t.eq_ignore_ascii_case("zstd") {
            Some(ContentCoding::Zstd)
        } else {
            None
        }
    }

    const fn index(self) -> usize {
        match self {
            ContentCoding::Gzip => 0,
            ContentCoding::Brotli => 1,
            ContentCoding::Zstd => 2,
        }
    }
}

/// The codings a request accepts, as q-values in thousandths (0 = refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accepted {
    codings: [u16; 3],
    identity: u16,
    /// Identity's weight when the client gave one (by name or `*`): only then
    /// does it compete with the codings (an implicit identity never wins).
    identity_given: u16,
}

impl Accepted {
    /// What a request without `Accept-Encoding` gets: no coding, identity only.
    /// (RFC 9110 allows any coding then, but clients that send no header are
    /// the ones that cannot decode; every server treats it this way.)
    pub(crate) const IDENTITY: Accepted = Accepted {
        codings: [0; 3],
        identity: 1000,
        identity_given: 0,
    };

    /// Reads every `Accept-Encoding` line of a request. Elements that do not
    /// parse (a bad q-value, say) are ignored, as if absent.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Accepted {
        let mut lines = headers.get_all(ACCEPT_ENCODING).iter().peekable();
        if lines.peek().is_none() {
            return Accepted::IDENTITY;
        }
        let mut explicit: [Option<u16>; 3] = [None; 3];
        let mut identity: Option<u16> = None;
        let mut star: Option<u16> = None;
        for line in lines {
            let Ok(line) = line.to_str() else { continue };
            for element in line.split(',') {
                let mut parts = element.split(';');
                let name = parts.next().unwrap_or("").trim();
                if name.is_empty() {
                    continue;
                }
                let Some(q) = quality(parts) else { continue };
                let slot = if name == "*" {
                    &mut star
                } else if name.eq_ignore_ascii_case("identity") {
                    &mut identity
                } else if let Some(c) = ContentCoding::from_token(name) {
                    &mut explicit[c.index()]
                } else {
                    continue;
                };
                // A coding listed twice keeps its best weight.
                *slot = Some(slot.map_or(q, |old| old.max(q)));
            }
        }
        Accepted {
            codings: explicit.map(|q| q.or(star).unwrap_or(0)),
            // Identity is acceptable unless refused, by name or through `*`.
            identity: identity.or(star).unwrap_or(1000),
            identity_given: identity.or(star).unwrap_or(0),
        }
    }

    /// The weight of `coding`, in thousandths.
    pub(crate) fn q(&self, coding: ContentCoding) -> u16 {
        self.codings[coding.index()]
    }

    /// Whether the client takes an unencoded response.
    pub(crate) fn identity_allowed(&self) -> bool {
        self.identity > 0
    }

    /// The weight of identity, in thousandths.
    #[cfg(test)]
    pub(crate) fn identity_q(&self) -> u16 {
        self.identity
    }

    /// The acceptable codings among `offered`, best first: by weight, ties in
    /// the order of `offered`. Codings the client weighs below an identity
    /// it weighed explicitly are left out (it prefers no coding to them).
    pub(crate) fn ranked(&self, offered: &[ContentCoding]) -> ([ContentCoding; 3], usize) {
        let mut out = [ContentCoding::Gzip; 3];
        let mut n = 0;
        for &c in offered {
            let q = self.q(c);
            if q > 0 && q >= self.identity_given && n < out.len() && !out[..n].contains(&c) {
                out[n] = c;
                n += 1;
            }
        }
        // Stable: equal weights keep the offered order.
        out[..n].sort_by_key(|&c| std::cmp::Reverse(self.q(c)));
        (out, n)
    }

    /// The best acceptable coding among `offered`, if any.
    pub(crate) fn best(&self, offered: &[ContentCoding]) -> Option<ContentCoding> {
        let (ranked, n) = self.ranked(offered);
        (n > 0).then(|| ranked[0])
    }
}

/// Whether a media type is compressed already (images other than SVG, audio,
/// video, WOFF fonts, archives, PDF): compressing it again costs CPU and
/// saves nothing.
#[cfg_attr(
    not(any(feature = "compression", feature = "fs-build")),
    allow(dead_code)
)]
pub(crate) fn is_incompressible(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let is = |m: &str| media.eq_ignore_ascii_case(m);
    let starts = |p: &str| media.len() > p.len() && media[..p.len()].eq_ignore_ascii_case(p);
    if starts("image/") {
        let sub = &media["image/".len()..];
        let text_like = sub.len() > 4 && sub[sub.len() - 4..].eq_ignore_ascii_case("+xml");
        return !(text_like
            || sub.eq_ignore_ascii_case("bmp")
            || sub.eq_ignore_ascii_case("x-icon")
            || sub.eq_ignore_ascii_case("vnd.microsoft.icon"));
    }
    starts("audio/")
        || starts("video/")
        || is("font/woff")
        || is("font/woff2")
        || [
            "application/zip",
            "application/gzip",
            "application/x-gzip",
            "application/zstd",
            "application/x-bzip2",
            "application/x-xz",
            "application/x-7z-compressed",
            "application/vnd.rar",
            "application/x-rar-compressed",
            "application/pdf",
        ]
        .iter()
        .any(|m| is(m))
}

/// The `q` parameter of an element (1 when absent); `None` when malformed.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut q = 1000;
    for p in params {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("q") {
            q = parse_q(v.trim())?;
        }
    }
    Some(q)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentCoding::{Brotli, Gzip, Zstd};

    fn acc(v: &str) -> Accepted {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, v.parse().unwrap());
        Accepted::from_headers(&h)
    }

    #[test]
    fn q_values_parse_by_the_grammar() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("0."), Some(0));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("2"), None);
        assert_eq!(parse_q("-0"), None);
        assert_eq!(parse_q(""), None);
    }

    #[test]
    fn no_header_means_identity_only() {
        let a = Accepted::from_headers(&HeaderMap::new());
        assert_eq!(a, Accepted::IDENTITY);
        assert_eq!(a.best(&ContentCoding::ALL), None);
    }

    #[test]
    fn browsers_get_their_best() {
        let a = acc("gzip, deflate, br, zstd");
        assert_eq!(a.best(&ContentCoding::ALL), Some(Brotli));
        assert_eq!(a.best(&[Zstd, Gzip]), Some(Zstd));
        assert!(a.identity_allowed());
    }

    #[test]
    fn weights_beat_server_preference() {
        let a = acc("br;q=0.5, gzip;q=0.9");
        assert_eq!(a.best(&ContentCoding::ALL), Some(Gzip));
        let (r, n) = a.ranked(&ContentCoding::ALL);
        assert_eq!(&r[..n], &[Gzip, Brotli]);
    }

    #[test]
    fn star_and_identity() {
        let a = acc("*;q=0.2, gzip;q=0");
        assert_eq!(a.q(Gzip), 0);
        assert_eq!(a.q(Zstd), 200);
        assert_eq!(a.identity_q(), 200);
        let a = acc("identity;q=0");
        assert!(!a.identity_allowed());
        assert_eq!(a.best(&ContentCoding::ALL), None);
        let a = acc("*;q=0");
        assert!(!a.identity_allowed());
        let a = acc("*;q=0, identity");
        assert!(a.identity_allowed());
    }

    #[test]
    fn a_coding_below_identity_is_not_chosen() {
        let a = acc("gzip;q=0.5, identity");
        assert_eq!(a.best(&ContentCoding::ALL), None);
        let a = acc("gzip;q=0.5");
        assert_eq!(
            a.best(&ContentCoding::ALL),
            Some(Gzip),
            "implicit identity never wins"
        );
        let a = acc("gzip;q=0.5, identity;q=0.5");
        assert_eq!(a.best(&ContentCoding::ALL), Some(Gzip));
    }

    #[test]
    fn malformed_elements_are_ignored() {
        let a = acc("gzip;q=2, br;q=abc, zstd;;, , x-gzip;Q=0.3");
        assert_eq!(a.q(Brotli), 0);
        assert_eq!(a.q(Zstd), 0, "`zstd;;` has an empty parameter");
        assert_eq!(a.q(Gzip), 300, "`x-gzip` is gzip");
        let a = acc("");
        assert_eq!(a.best(&ContentCoding::ALL), None);
        assert!(a.identity_allowed());
    }

    #[test]
    fn compressed_types_are_known() {
        for ct in [
            "image/png",
            "IMAGE/JPEG",
            "video/mp4",
            "font/woff2",
            "application/zip; x=1",
        ] {
            assert!(is_incompressible(ct), "{ct}");
        }
        for ct in [
            "image/svg+xml",
            "text/html; charset=utf-8",
            "application/json",
            "image/x-icon",
            "application/wasm",
            "",
        ] {
            assert!(!is_incompressible(ct), "{ct}");
        }
    }

    #[test]
    fn several_lines_combine() {
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, "gzip;q=0.1".parse().unwrap());
        h.append(ACCEPT_ENCODING, "zstd".parse().unwrap());
        assert_eq!(
            Accepted::from_headers(&h).best(&ContentCoding::ALL),
            Some(Zstd)
        );
    }
}
