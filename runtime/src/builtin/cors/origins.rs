//! The allow-list of origins and the decision for a request's origin:
//! exact origins (indexed when the list is long), `scheme://*.domain`
//! patterns and a predicate, and the checks that keep each one an origin as
//! browsers send it.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderValue;

use super::Cors;

pub(super) type OriginFn = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The allowed origins.
#[derive(Clone)]
pub(super) enum Origins {
    Any,
    List {
        /// Exact origins, as header values to clone into responses.
        exact: Vec<HeaderValue>,
        /// An index into `exact` when the list is long.
        index: Option<HashMap<Box<[u8]>, u16>>,
        patterns: Vec<Pattern>,
        predicate: Option<OriginFn>,
    },
}

/// `scheme://*.suffix[:port]`: any one or more subdomain labels before `suffix`.
#[derive(Clone, Debug)]
pub(super) struct Pattern {
    /// `scheme://`
    scheme: String,
    /// `.suffix[:port]`, starting with the dot.
    suffix: String,
}

impl Pattern {
    fn matches(&self, origin: &[u8]) -> bool {
        let (s, x) = (self.scheme.as_bytes(), self.suffix.as_bytes());
        if origin.len() <= s.len() + x.len() || !origin.starts_with(s) || !origin.ends_with(x) {
            return false;
        }
        let labels = &origin[s.len()..origin.len() - x.len()];
        // One or more DNS labels: letters, digits, hyphens, dots between labels.
        labels.split(|&c| c == b'.').all(|l| {
            !l.is_empty()
                && l.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        })
    }
}

/// Which origin matched, found by `pre` and used by `post`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    NoOrigin,
    Denied,
    Any,
    Exact(u16),
    Mirror,
}

/// What [`Cors`] decided for this request; injectable as `&CorsDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsDecision(pub(super) Decision);

impl CorsDecision {
    /// Whether the request carried an `Origin` header.
    #[must_use]
    pub fn is_cors(&self) -> bool {
        self.0 != Decision::NoOrigin
    }

    /// Whether its origin is allowed.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        matches!(
            self.0,
            Decision::Any | Decision::Exact(_) | Decision::Mirror
        )
    }
}

impl Cors {
    /// Which origin of the allow-list `origin` is, if any.
    pub(super) fn decide(&self, origin: &HeaderValue) -> Decision {
        let Origins::List {
            exact,
            index,
            patterns,
            predicate,
        } = &self.origins
        else {
            return Decision::Any;
        };
        let o = origin.as_bytes();
        let found = match index {
            Some(map) => map.get(o).copied(),
            None => exact.iter().position(|e| e.as_bytes() == o).map(to_u16),
        };
        if let Some(i) = found {
            return Decision::Exact(i);
        }
        if patterns.iter().any(|p| p.matches(o)) {
            return Decision::Mirror;
        }
        if let Some(f) = predicate
            && let Ok(s) = origin.to_str()
            && f(s)
        {
            return Decision::Mirror;
        }
        Decision::Denied
    }
}

pub(super) fn to_u16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// `scheme://host[:port]`, as a browser serializes an origin.
pub(super) fn check_origin(o: &str) -> Result<(), String> {
    if o == "null" {
        return Err("the `null` origin is sent by sandboxed frames, `file:` pages and redirects, so anyone can send it; do not allow it".into());
    }
    if o == "*" {
        return Err("use `allow_any_origin()` rather than `*`".into());
    }
    let Some((scheme, rest)) = o.split_once("://") else {
        return Err(format!(
            "`{o}` is not an origin: expected `scheme://host[:port]`, like `https://app.example`"
        ));
    };
    let bad = |why: &str| Err(format!("`{o}` is not an origin as browsers send it: {why}"));
    if scheme.is_empty()
        || !scheme.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'+' || c == b'-' || c == b'.'
        })
    {
        return bad("the scheme must be lowercase, like `https`");
    }
    if rest.is_empty() {
        return bad("the host is missing");
    }
    if rest.contains(['/', '?', '#']) {
        return bad("remove the path (an origin has no path or trailing slash)");
    }
    if rest.bytes().any(|c| c.is_ascii_uppercase()) {
        return bad("the host must be lowercase");
    }
    let host_port = rest;
    let (host, port) = if let Some(h) = host_port.strip_prefix('[') {
        match h.split_once(']') {
            Some((h6, p)) => (h6, p.strip_prefix(':')),
            None => return bad("unclosed `[` in an IPv6 host"),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || host.contains('*') || host.contains('@') || host.contains(' ') {
        return bad("invalid host (for wildcards use `allow_origin_pattern`)");
    }
    if let Some(p) = port
        && (p.is_empty() || p.parse::<u16>().is_err())
    {
        return bad("invalid port");
    }
    Ok(())
}

pub(super) fn parse_pattern(p: &str) -> Result<Pattern, String> {
    let bad = |why: &str| {
        Err(format!(
            "origin pattern `{p}`: {why}; expected `scheme://*.domain[:port]`, like `https://*.example.com`"
        ))
    };
    let Some((scheme, rest)) = p.split_once("://") else {
        return bad("no `://`");
    };
    let Some(suffix) = rest.strip_prefix('*') else {
        return bad("`*` must come right after `://`");
    };
    if !suffix.starts_with('.') || suffix.len() < 2 || suffix.contains('*') {
        return bad("`*` must be followed by `.` and a domain, with no other `*`");
    }
    // The matched origin must itself be a valid origin.
    check_origin(&format!("{scheme}://x{suffix}"))
        .map_err(|e| format!("origin pattern `{p}`: {e}"))?;
    Ok(Pattern {
        scheme: format!("{scheme}://"),
        suffix: suffix.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(check_origin("https://app.example").is_ok());
        assert!(check_origin("http://localhost:8080").is_ok());
        assert!(check_origin("http://[::1]:3000").is_ok());
        for bad in [
            "null",
            "*",
            "app.example",
            "https://app.example/",
            "https://App.example",
            "HTTPS://app.example",
            "https://app.example:99999",
            "https://",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_match_subdomains_only() {
        let p = parse_pattern("https://*.example.com").unwrap();
        assert!(p.matches(b"https://a.example.com"));
        assert!(p.matches(b"https://a.b-c.example.com"));
        assert!(!p.matches(b"https://example.com"));
        assert!(!p.matches(b"https://.example.com"));
        assert!(!p.matches(b"https://evil-example.com"));
        assert!(!p.matches(b"http://a.example.com"));
        assert!(!p.matches(b"https://a.example.com:8080"));
        assert!(!p.matches(b"https://a..example.com"));
        let p = parse_pattern("http://*.local.test:8080").unwrap();
        assert!(p.matches(b"http://x.local.test:8080"));
        for bad in [
            "https://a*.example.com",
            "https://*example.com",
            "*.example.com",
            "https://*.*.com",
        ] {
            assert!(parse_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_lists_use_an_index() {
        let origins: Vec<String> = (0..40).map(|i| format!("https://o{i}.example")).collect();
        let cors = Cors::builder().allow_origins(&origins).build().unwrap();
        assert!(matches!(
            &cors.origins,
            Origins::List { index: Some(_), .. }
        ));
        assert_eq!(
            cors.decide(&HeaderValue::from_static("https://o39.example")),
            Decision::Exact(39)
        );
        assert_eq!(
            cors.decide(&HeaderValue::from_static("https://o40.example")),
            Decision::Denied
        );
    }
}
