//! What HTTP says may be stored and for how long: `Cache-Control` on both
//! sides (RFC 9111 §5.2), `Vary`, `Set-Cookie`, and `If-None-Match`
//! against a strong tag (RFC 9110 §13.1.2).

use std::time::Duration;

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// The longest TTL taken from a response (`max-age` may say decades).
const MAX_TTL: Duration = Duration::from_hours(365 * 24);

/// The request's `Cache-Control` directives that matter to a shared cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RequestDirectives {
    /// `no-cache` (or `max-age=0`): do not answer from the cache; fetch and
    /// store the fresh response.
    pub(super) no_cache: bool,
    /// `no-store`: do not store the response to this request.
    pub(super) no_store: bool,
}

pub(super) fn request_directives(headers: &HeaderMap) -> RequestDirectives {
    let mut d = RequestDirectives::default();
    for directive in directives(headers) {
        let (name, value) = split(directive);
        if name.eq_ignore_ascii_case("no-cache") {
            d.no_cache = true;
        } else if name.eq_ignore_ascii_case("no-store") {
            d.no_store = true;
        } else if name.eq_ignore_ascii_case("max-age") && value == Some("0") {
            d.no_cache = true;
        }
    }
    d
}

/// How long this response may be stored, or `None` when it must not be:
/// `no-store`, `private` or `no-cache`; `Set-Cookie`; `Vary: *`; a status
/// that is not cacheable by default without explicit freshness.
pub(super) fn response_ttl(
    status: StatusCode,
    headers: &HeaderMap,
    default: Duration,
) -> Option<Duration> {
    if headers.contains_key(SET_COOKIE) || varies_on_everything(headers) {
        return None;
    }
    let (mut max_age, mut s_maxage) = (None, None);
    for directive in directives(headers) {
        let (name, value) = split(directive);
        let seconds = || value.and_then(|v| v.parse::<u64>().ok());
        if ["no-store", "private", "no-cache"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            return None;
        } else if name.eq_ignore_ascii_case("s-maxage") {
            s_maxage = seconds();
        } else if name.eq_ignore_ascii_case("max-age") {
            max_age = seconds();
        }
    }
    // A shared cache prefers `s-maxage` (RFC 9111 §5.2.2.10).
    match s_maxage.or(max_age) {
        Some(0) => None,
        Some(secs) if heuristically_cacheable(status) => {
            Some(Duration::from_secs(secs).min(MAX_TTL))
        }
        None if status == StatusCode::OK => Some(default),
        Some(_) | None => None,
    }
}

/// Statuses a cache may store when the response says for how long
/// (RFC 9110 §15.1).
fn heuristically_cacheable(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 203 | 204 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

fn varies_on_everything(headers: &HeaderMap) -> bool {
    vary_fields(headers).any(|f| f == "*")
}

fn vary_fields(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty())
}

/// The request headers the response's `Vary` names, lowercased, each once.
pub(super) fn vary_names(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut names: Vec<HeaderName> = Vec::new();
    for field in vary_fields(headers) {
        if let Ok(name) = HeaderName::from_bytes(field.as_bytes())
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

fn directives(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

fn split(directive: &str) -> (&str, Option<&str>) {
    match directive.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
        None => (directive, None),
    }
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as the
/// precondition requires: `W/"x"` matches `"x"`).
pub(super) fn none_match(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = opaque(etag.as_bytes());
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag.as_bytes()) == ours)
}

fn opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// A strong entity tag of the body: 128 bits of foldhash with fixed seeds
/// (the same body has the same tag in every process of one build).
pub(super) fn strong_etag(body: &[u8]) -> HeaderValue {
    use std::fmt::Write;
    use std::hash::BuildHasher;

    let hash = |seed| foldhash::quality::FixedState::with_seed(seed).hash_one(body);
    let mut tag = String::with_capacity(34);
    // Writing to a `String` cannot fail.
    let _ = write!(
        tag,
        "\"{:016x}{:016x}\"",
        hash(0x6b69_6c6e),
        hash(0x6361_6368)
    );
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// An `ETag` the response already has, when it is strong.
pub(super) fn strong(etag: Option<&HeaderValue>) -> Option<&HeaderValue> {
    etag.filter(|v| v.as_bytes().starts_with(b"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    const DEFAULT: Duration = Duration::from_mins(1);

    #[test]
    fn ttl_follows_the_response() {
        let ok = StatusCode::OK;
        assert_eq!(response_ttl(ok, &map(&[]), DEFAULT), Some(DEFAULT));
        let h = map(&[("cache-control", "public, max-age=30")]);
        assert_eq!(response_ttl(ok, &h, DEFAULT), Some(Duration::from_secs(30)));
        let h = map(&[("cache-control", "max-age=30, s-maxage=5")]);
        assert_eq!(response_ttl(ok, &h, DEFAULT), Some(Duration::from_secs(5)));
        for never in [
            "no-store",
            "private",
            "No-Cache",
            "max-age=0",
            "private=\"x\"",
        ] {
            let h = HeaderMap::from_iter([(CACHE_CONTROL, HeaderValue::from_static(never))]);
            assert_eq!(response_ttl(ok, &h, DEFAULT), None, "{never}");
        }
        assert_eq!(
            response_ttl(ok, &map(&[("set-cookie", "a=1")]), DEFAULT),
            None
        );
        assert_eq!(
            response_ttl(ok, &map(&[("vary", "origin, *")]), DEFAULT),
            None
        );
        let nf = StatusCode::NOT_FOUND;
        assert_eq!(response_ttl(nf, &map(&[]), DEFAULT), None);
        let h = map(&[("cache-control", "max-age=9")]);
        assert_eq!(response_ttl(nf, &h, DEFAULT), Some(Duration::from_secs(9)));
        assert_eq!(response_ttl(StatusCode::CREATED, &h, DEFAULT), None);
    }

    #[test]
    fn request_directives_are_read() {
        let d = request_directives(&map(&[("cache-control", "no-cache")]));
        assert!(d.no_cache && !d.no_store);
        let d = request_directives(&map(&[("cache-control", "max-age=0, no-store")]));
        assert!(d.no_cache && d.no_store);
        assert_eq!(request_directives(&map(&[])), RequestDirectives::default());
    }

    #[test]
    fn vary_names_are_lowercased_once() {
        let h = map(&[
            ("vary", "Accept-Language, accept"),
            ("vary", "accept-language"),
        ]);
        assert_eq!(vary_names(&h), ["accept-language", "accept"]);
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = HeaderValue::from_static("\"abc\"");
        let inm = |s: &'static str| HeaderValue::from_static(s);
        assert!(none_match(&inm("\"abc\""), &tag));
        assert!(none_match(&inm("\"x\", W/\"abc\""), &tag));
        assert!(none_match(&inm("*"), &tag));
        assert!(!none_match(&inm("\"abd\""), &tag));
    }

    #[test]
    fn etags_are_strong_and_depend_on_the_body() {
        let a = strong_etag(b"hello");
        assert_eq!(a, strong_etag(b"hello"));
        assert_ne!(a, strong_etag(b"hellp"));
        assert_eq!(a.len(), 34);
        assert!(strong(Some(&a)).is_some());
        assert!(strong(Some(&HeaderValue::from_static("W/\"a\""))).is_none());
    }
}
