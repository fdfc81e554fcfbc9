//! Conditional requests (RFC 9110 §13) and single byte ranges (§14): what to
//! answer for a representation with a given length, entity tag and
//! modification time.
//!
//! Preconditions are evaluated in the order §13.2.2 prescribes:
//! `If-Match` (strong comparison) or else `If-Unmodified-Since` → 412;
//! `If-None-Match` (weak comparison) or else `If-Modified-Since` → 304 for
//! `GET`/`HEAD` (412 for other methods); then `Range`, honoured only on `GET`
//! and only while `If-Range` (strong comparison, or an exact date) matches.
//!
//! Multiple ranges are answered with the whole representation (`200`): RFC
//! 9110 §14.2 lets a server ignore `Range`, a full answer is always correct,
//! and it avoids `multipart/byteranges`, which few clients ask for and which
//! makes many small overlapping ranges a cheap amplification attack.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{
    IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, RANGE,
};
use http::{HeaderMap, HeaderValue, Method};

/// The request headers that decide the answer, taken from the request
/// (cloning a `HeaderValue` of a parsed request only bumps a count).
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    get: bool,
    head: bool,
    if_match: Option<HeaderValue>,
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<HeaderValue>,
    if_unmodified_since: Option<HeaderValue>,
    if_range: Option<HeaderValue>,
    range: Option<HeaderValue>,
}

impl Conditions {
    pub(crate) fn new(method: &Method, headers: &HeaderMap) -> Conditions {
        let get = |name| headers.get(name).cloned();
        Conditions {
            get: method == Method::GET,
            head: method == Method::HEAD,
            if_match: get(IF_MATCH),
            if_none_match: get(IF_NONE_MATCH),
            if_modified_since: get(IF_MODIFIED_SINCE),
            if_unmodified_since: get(IF_UNMODIFIED_SINCE),
            if_range: get(IF_RANGE),
            range: get(RANGE),
        }
    }

    /// Whether the response carries no body (`HEAD`).
    pub(crate) fn is_head(&self) -> bool {
        self.head
    }

    /// Decides the answer for a representation of `len` bytes with entity tag
    /// `etag` (quoted, possibly `W/`-prefixed) and modification time `modified`.
    pub(crate) fn evaluate(&self, len: u64, etag: &str, modified: Option<SystemTime>) -> Decision {
        let modified = modified.map(truncate_to_seconds);
        if let Some(v) = &self.if_match {
            if !matches_any(v, etag, true) {
                return Decision::PreconditionFailed;
            }
        } else if let (Some(v), Some(m)) = (&self.if_unmodified_since, modified)
            && http_date(v).is_some_and(|since| m > since)
        {
            return Decision::PreconditionFailed;
        }
        if let Some(v) = &self.if_none_match {
            if matches_any(v, etag, false) {
                return if self.get || self.head {
                    Decision::NotModified {
                        weak_match: client_tag_is_weak(v, etag),
                    }
                } else {
                    Decision::PreconditionFailed
                };
            }
        } else if let (true, Some(v), Some(m)) =
            (self.get || self.head, &self.if_modified_since, modified)
            && http_date(v).is_some_and(|since| m <= since)
        {
            return Decision::NotModified { weak_match: false };
        }
        let Some(range) = self.range.as_ref().filter(|_| self.get) else {
            return Decision::Full;
        };
        if let Some(v) = &self.if_range
            && !if_range_holds(v, etag, modified)
        {
            return Decision::Full;
        }
        match parse_range(range.as_bytes(), len) {
            RangeSpec::Ignore => Decision::Full,
            RangeSpec::Unsatisfiable => Decision::Unsatisfiable,
            RangeSpec::One(start, end) => Decision::Partial { start, end },
        }
    }
}

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// `200` with the whole representation.
    Full,
    /// `206` with bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// `304 Not Modified`; `weak_match` when the client's tag was the `W/`
    /// form of ours (a compressed response weakens tags, and a 304 repeats
    /// the tag the matching response carried).
    NotModified { weak_match: bool },
    /// `412 Precondition Failed`.
    PreconditionFailed,
    /// `416 Range Not Satisfiable`.
    Unsatisfiable,
}

/// HTTP dates have second precision; so must the comparison.
fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn http_date(v: &HeaderValue) -> Option<SystemTime> {
    httpdate::parse_http_date(v.to_str().ok()?).ok()
}

/// Splits a list of entity tags (`"a", W/"b"`) into `(weak, opaque-with-quotes)`.
fn tags(list: &str) -> impl Iterator<Item = (bool, &str)> {
    list.split(',').filter_map(|t| {
        let t = t.trim();
        let (weak, t) = match t.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        (t.len() >= 2 && t.starts_with('"') && t.ends_with('"')).then_some((weak, t))
    })
}

/// `ours` split the same way.
fn ours(etag: &str) -> (bool, &str) {
    match etag.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, etag),
    }
}

/// Whether `list` (an `If-Match`/`If-None-Match` value) matches `etag`:
/// strong comparison needs both tags strong; `*` matches any tag.
fn matches_any(list: &HeaderValue, etag: &str, strong: bool) -> bool {
    let Ok(list) = list.to_str() else {
        return false;
    };
    if list.trim() == "*" {
        return true;
    }
    let (our_weak, our_tag) = ours(etag);
    tags(list).any(|(weak, tag)| tag == our_tag && (!strong || (!weak && !our_weak)))
}

/// Whether the tag in `list` that matched `etag` was the `W/` form while ours is strong.
fn client_tag_is_weak(list: &HeaderValue, etag: &str) -> bool {
    let (our_weak, our_tag) = ours(etag);
    !our_weak
        && list.to_str().is_ok_and(|l| {
            tags(l).any(|(weak, tag)| weak && tag == our_tag)
                && !tags(l).any(|(weak, tag)| !weak && tag == our_tag)
        })
}

/// `If-Range`: an entity tag must match strongly; a date must equal the
/// modification time exactly.
fn if_range_holds(v: &HeaderValue, etag: &str, modified: Option<SystemTime>) -> bool {
    let Ok(s) = v.to_str() else { return false };
    let s = s.trim();
    if s.starts_with('"') || s.starts_with("W/") {
        let (our_weak, our_tag) = ours(etag);
        return !our_weak && s == our_tag;
    }
    matches!((httpdate::parse_http_date(s), modified), (Ok(d), Some(m)) if d == m)
}

/// A parsed `Range` header against a representation of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeSpec {
    /// Malformed, another unit, or several ranges: serve the whole.
    Ignore,
    /// No byte of the range exists.
    Unsatisfiable,
    /// Bytes `start..=end`.
    One(u64, u64),
}

fn parse_range(v: &[u8], len: u64) -> RangeSpec {
    let Ok(v) = std::str::from_utf8(v) else {
        return RangeSpec::Ignore;
    };
    let Some((unit, set)) = v.split_once('=') else {
        return RangeSpec::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeSpec::Ignore;
    }
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeSpec::Ignore;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeSpec::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // `-N`: the last N bytes.
        return match num(last) {
            None => RangeSpec::Ignore,
            Some(0) => RangeSpec::Unsatisfiable,
            Some(_) if len == 0 => RangeSpec::Unsatisfiable,
            Some(n) => RangeSpec::One(len.saturating_sub(n), len - 1),
        };
    }
    let Some(start) = num(first) else {
        return RangeSpec::Ignore;
    };
    let end = if last.is_empty() {
        None
    } else {
        match num(last) {
            Some(e) if e >= start => Some(e),
            _ => return RangeSpec::Ignore,
        }
    };
    if start >= len {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::One(start, end.map_or(len - 1, |e| e.min(len - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";

    fn cond(headers: &[(&str, &str)]) -> Conditions {
        cond_method(&Method::GET, headers)
    }

    fn cond_method(method: &Method, headers: &[(&str, &str)]) -> Conditions {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Conditions::new(method, &h)
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn date(secs: u64) -> String {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn ranges_parse() {
        use RangeSpec::*;
        assert_eq!(parse_range(b"bytes=0-9", 100), One(0, 9));
        assert_eq!(parse_range(b"bytes=90-", 100), One(90, 99));
        assert_eq!(parse_range(b"bytes=-10", 100), One(90, 99));
        assert_eq!(parse_range(b"bytes=-1000", 100), One(0, 99));
        assert_eq!(parse_range(b"bytes=50-1000", 100), One(50, 99));
        assert_eq!(parse_range(b"Bytes = 1-1", 100), One(1, 1));
        assert_eq!(parse_range(b"bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=9-1", 100), Ignore);
        assert_eq!(parse_range(b"bytes=0-1,5-6", 100), Ignore);
        assert_eq!(parse_range(b"items=0-1", 100), Ignore);
        assert_eq!(parse_range(b"bytes=a-b", 100), Ignore);
        assert_eq!(parse_range(b"bytes=+1-2", 100), Ignore);
        assert_eq!(parse_range(b"bytes=99999999999999999999999-", 100), Ignore);
    }

    #[test]
    fn if_none_match_is_weak_comparison() {
        let d = |h: &[(&str, &str)]| cond(h).evaluate(10, TAG, None);
        let nm = Decision::NotModified { weak_match: false };
        assert_eq!(d(&[("if-none-match", "\"abc\"")]), nm);
        assert_eq!(d(&[("if-none-match", "\"x\", \"abc\"")]), nm);
        assert_eq!(d(&[("if-none-match", "*")]), nm);
        assert_eq!(
            d(&[("if-none-match", "W/\"abc\"")]),
            Decision::NotModified { weak_match: true }
        );
        assert_eq!(d(&[("if-none-match", "\"abd\"")]), Decision::Full);
        let post = cond_method(&Method::POST, &[("if-none-match", "*")]);
        assert_eq!(post.evaluate(10, TAG, None), Decision::PreconditionFailed);
    }

    #[test]
    fn if_match_is_strong_comparison() {
        let d = |h: &[(&str, &str)]| cond(h).evaluate(10, TAG, None);
        assert_eq!(d(&[("if-match", "\"abc\"")]), Decision::Full);
        assert_eq!(d(&[("if-match", "*")]), Decision::Full);
        assert_eq!(
            d(&[("if-match", "W/\"abc\"")]),
            Decision::PreconditionFailed
        );
        assert_eq!(d(&[("if-match", "\"zzz\"")]), Decision::PreconditionFailed);
        assert_eq!(
            cond(&[("if-match", "\"abc\"")]).evaluate(10, "W/\"abc\"", None),
            Decision::PreconditionFailed
        );
    }

    #[test]
    fn dates_compare_by_the_second() {
        let m = UNIX_EPOCH + Duration::from_millis(1_000_500);
        let d = |h: &[(&str, &str)]| cond(h).evaluate(10, TAG, Some(m));
        let nm = Decision::NotModified { weak_match: false };
        assert_eq!(d(&[("if-modified-since", &date(1000))]), nm);
        assert_eq!(d(&[("if-modified-since", &date(999))]), Decision::Full);
        assert_eq!(d(&[("if-modified-since", "garbage")]), Decision::Full);
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            d(&[
                ("if-none-match", "\"other\""),
                ("if-modified-since", &date(2000))
            ]),
            Decision::Full
        );
        assert_eq!(
            d(&[("if-unmodified-since", &date(999))]),
            Decision::PreconditionFailed
        );
        assert_eq!(d(&[("if-unmodified-since", &date(1000))]), Decision::Full);
    }

    #[test]
    fn if_range_gates_the_range() {
        let d = |h: &[(&str, &str)]| cond(h).evaluate(100, TAG, Some(at(1000)));
        let part = Decision::Partial { start: 0, end: 9 };
        assert_eq!(d(&[("range", "bytes=0-9")]), part);
        assert_eq!(d(&[("range", "bytes=0-9"), ("if-range", "\"abc\"")]), part);
        assert_eq!(
            d(&[("range", "bytes=0-9"), ("if-range", "W/\"abc\"")]),
            Decision::Full
        );
        assert_eq!(
            d(&[("range", "bytes=0-9"), ("if-range", "\"old\"")]),
            Decision::Full
        );
        assert_eq!(
            d(&[("range", "bytes=0-9"), ("if-range", &date(1000))]),
            part
        );
        assert_eq!(
            d(&[("range", "bytes=0-9"), ("if-range", &date(999))]),
            Decision::Full
        );
        assert_eq!(d(&[("range", "bytes=500-")]), Decision::Unsatisfiable);
        // Only GET has ranges.
        let head = cond_method(&Method::HEAD, &[("range", "bytes=0-9")]);
        assert_eq!(head.evaluate(100, TAG, None), Decision::Full);
    }
}
