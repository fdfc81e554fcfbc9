//! CORS (the fetch standard's CORS protocol): preflight answers and the
//! headers of actual responses, for an allow-list of origins.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::Entry;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::{ConfigError, config_value};
use crate::{Body, Request, Response, middleware};

type OriginFn = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The CORS middleware, configured with [`Cors::builder`].
///
/// Follows the fetch standard's CORS protocol:
/// - A request without `Origin` is not a CORS request: nothing is done (no
///   lookups beyond the one for `Origin`, no headers).
/// - A *preflight* is an `OPTIONS` request with `Origin` and
///   `Access-Control-Request-Method`. It is answered here with `204` and never
///   reaches the router; any other `OPTIONS` request is routed as usual.
///   An allowed origin gets `Access-Control-Allow-Origin`, `-Methods`,
///   `-Headers`, `-Credentials` and `-Max-Age` as configured; a disallowed
///   one gets none of them.
/// - An *actual* response to an allowed origin gets
///   `Access-Control-Allow-Origin` (the origin, or `*` with
///   [`CorsBuilder::allow_any_origin`]), `-Credentials` and
///   `-Expose-Headers` (only here, never on preflights). Its post hook runs
///   for every response inside it, so 401s, 429s, 404s and 500s from inner
///   middleware carry them too, and browsers let the page read them.
/// - `Vary: Origin` is added (appended to an existing `Vary`, never replacing
///   it) whenever the answer depends on the origin — every CORS response
///   unless origins are `*` — including to disallowed origins.
/// - A disallowed origin gets no CORS headers at all.
///
/// Credentials are never combined with `*`: [`CorsBuilder::build`] rejects
/// `allow_credentials(true)` with `allow_any_origin()` (or with `*` in
/// `expose_headers`), and with "any" methods or headers the request's own
/// lists are mirrored rather than answered with a literal `*`.
///
/// Responses to requests without `Origin` get no `Vary: Origin` (no work at
/// all). If such responses may be stored by a shared cache and later served
/// to CORS requests, set [`CorsBuilder::vary_always`].
///
/// Default priority -100: outermost.
///
/// ```
/// use std::time::Duration;
/// use kiln::prelude::*;
/// use kiln::builtin::Cors;
///
/// #[handler]
/// fn data() -> &'static str { "data" }
///
/// chain! {
///     struct Api;
///     singletons { cors: Cors }
///     middleware { kiln::builtin::Cors }
///     routes { GET "/data" => data }
/// }
///
/// let cors = Cors::builder()
///     .allow_origin("https://app.example")
///     .allow_origin_pattern("https://*.preview.example")
///     .allow_methods([Method::GET, Method::POST])
///     .allow_headers(["authorization", "content-type"])
///     .allow_credentials(true)
///     .max_age(Duration::from_secs(600))
///     .build()
///     .unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(Api::new(ApiSingletons { cors }));
/// let preflight = client
///     .request(Method::OPTIONS, "/data")
///     .header("origin", "https://pr-7.preview.example")
///     .header("access-control-request-method", "GET")
///     .header("access-control-request-headers", "authorization")
///     .send()
///     .await;
/// assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
/// assert_eq!(preflight.header("access-control-allow-origin"), Some("https://pr-7.preview.example"));
/// assert_eq!(preflight.header("access-control-allow-headers"), Some("authorization, content-type"));
///
/// let res = client.get("/data").header("origin", "https://evil.example").send().await;
/// assert_eq!(res.header("access-control-allow-origin"), None);
/// assert_eq!(res.header("vary"), Some("origin"));
/// # });
/// ```
#[derive(Clone)]
pub struct Cors {
    origins: Origins,
    methods: Answer,
    headers: Answer,
    expose: Option<HeaderValue>,
    credentials: bool,
    max_age: Option<HeaderValue>,
    vary_always: bool,
}

#[derive(Clone)]
enum Origins {
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

/// Methods or headers of a preflight answer.
#[derive(Clone)]
enum Answer {
    /// A fixed list (`None`: nothing beyond what is always allowed).
    List(Option<HeaderValue>),
    /// Mirror what the preflight asked for.
    Mirror,
}

/// `scheme://*.suffix[:port]`: any one or more subdomain labels before `suffix`.
#[derive(Clone, Debug)]
struct Pattern {
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
enum Decision {
    NoOrigin,
    Denied,
    Any,
    Exact(u16),
    Mirror,
}

/// What [`Cors`] decided for this request; injectable as `&CorsDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsDecision(Decision);

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

const STAR: HeaderValue = HeaderValue::from_static("*");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);

impl Cors {
    /// Starts a configuration: no origin allowed yet; methods `GET, HEAD,
    /// POST, PUT, PATCH, DELETE`; no extra request headers; no credentials.
    pub fn builder() -> CorsBuilder {
        CorsBuilder::default()
    }

    fn decide(&self, origin: &HeaderValue) -> Decision {
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

    fn allow_origin_value(&self, d: Decision, origin: &HeaderValue) -> HeaderValue {
        match (d, &self.origins) {
            (Decision::Exact(i), Origins::List { exact, .. }) => exact[usize::from(i)].clone(),
            (Decision::Any, _) => STAR,
            _ => origin.clone(),
        }
    }

    /// The `204` answer to a preflight.
    fn preflight(&self, d: Decision, req: &Request, origin: &HeaderValue) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let h = res.headers_mut();
        if d != Decision::Denied {
            h.insert(
                ACCESS_CONTROL_ALLOW_ORIGIN,
                self.allow_origin_value(d, origin),
            );
            if self.credentials {
                h.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
            }
            let asked = |name| req.headers().get(name).cloned();
            let methods = match &self.methods {
                Answer::List(v) => v.clone(),
                Answer::Mirror => asked(ACCESS_CONTROL_REQUEST_METHOD),
            };
            if let Some(v) = methods {
                h.insert(ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            let headers = match &self.headers {
                Answer::List(v) => v.clone(),
                Answer::Mirror => asked(ACCESS_CONTROL_REQUEST_HEADERS),
            };
            if let Some(v) = headers {
                h.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
            if let Some(v) = &self.max_age {
                h.insert(ACCESS_CONTROL_MAX_AGE, v.clone());
            }
        }
        let mirrors =
            matches!(self.methods, Answer::Mirror) || matches!(self.headers, Answer::Mirror);
        if mirrors {
            add_vary(h, VARY_PREFLIGHT);
        } else if !matches!(self.origins, Origins::Any) {
            add_vary(h, VARY_ORIGIN);
        }
        res
    }
}

#[middleware(priority = -100, pre_route, post_route)]
impl Cors {
    /// Decides for the request's origin; answers preflights.
    ///
    /// # Errors
    /// The preflight response (which short-circuits the chain).
    #[inline]
    #[allow(clippy::result_large_err)] // the `Err` is the preflight answer, moved once into place
    pub fn pre(&self, req: &Request) -> Result<CorsDecision, Response> {
        let Some(origin) = req.headers().get(ORIGIN) else {
            return Ok(CorsDecision(Decision::NoOrigin));
        };
        let d = self.decide(origin);
        if req.method() == Method::OPTIONS
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Err(self.preflight(d, req, origin));
        }
        Ok(CorsDecision(d))
    }

    /// Adds the CORS headers of an actual response.
    #[inline]
    pub fn post(&self, decision: &CorsDecision, req: &Request, res: &mut Response) {
        let value = match decision.0 {
            Decision::NoOrigin => {
                if self.vary_always && !matches!(self.origins, Origins::Any) {
                    add_vary(res.headers_mut(), VARY_ORIGIN);
                }
                return;
            }
            Decision::Denied => None,
            Decision::Any => Some(STAR),
            Decision::Exact(i) => match &self.origins {
                Origins::List { exact, .. } => exact.get(usize::from(i)).cloned(),
                Origins::Any => None,
            },
            // A pattern or predicate matched: answer with the request's own origin.
            Decision::Mirror => req.headers().get(ORIGIN).cloned(),
        };
        let h = res.headers_mut();
        if let Some(value) = value {
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
            if self.credentials {
                h.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
            }
            if let Some(v) = &self.expose {
                h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
            }
        }
        if !matches!(self.origins, Origins::Any) {
            add_vary(h, VARY_ORIGIN);
        }
    }
}

/// Adds `value` to `Vary` without replacing what is there: inserts it when
/// there is no `Vary` (one map lookup), appends it when the existing ones do
/// not cover it.
fn add_vary(h: &mut HeaderMap, value: HeaderValue) {
    match h.entry(VARY) {
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
        Entry::Occupied(mut slot) => {
            let want = value.to_str().unwrap_or("");
            let covered = slot.iter().any(|v| {
                v.to_str().is_ok_and(|s| {
                    s.split(',')
                        .map(str::trim)
                        .any(|t| t == "*" || t.eq_ignore_ascii_case(want))
                })
            });
            if !covered {
                slot.append(value);
            }
        }
    }
}

fn to_u16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl fmt::Debug for Cors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Cors");
        match &self.origins {
            Origins::Any => d.field("origins", &"*"),
            Origins::List {
                exact,
                patterns,
                predicate,
                ..
            } => d
                .field("origins", exact)
                .field("patterns", patterns)
                .field("predicate", &predicate.is_some()),
        };
        d.field("credentials", &self.credentials)
            .field("expose", &self.expose)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Cors`] configuration; [`build`](CorsBuilder::build) checks it.
#[derive(Clone, Default)]
#[must_use]
#[allow(clippy::struct_excessive_bools)] // independent switches of a builder
pub struct CorsBuilder {
    any_origin: bool,
    origins: Vec<String>,
    patterns: Vec<String>,
    predicate: Option<OriginFn>,
    methods: Option<Vec<String>>,
    any_method: bool,
    headers: Vec<String>,
    any_header: bool,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<Duration>,
    vary_always: bool,
}

impl fmt::Debug for CorsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsBuilder")
            .field("any_origin", &self.any_origin)
            .field("origins", &self.origins)
            .field("patterns", &self.patterns)
            .field("predicate", &self.predicate.is_some())
            .field("methods", &self.methods)
            .field("headers", &self.headers)
            .field("expose", &self.expose)
            .field("credentials", &self.credentials)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl CorsBuilder {
    /// Allows one origin, exactly: `scheme://host[:port]` as browsers send it
    /// (lowercase, no path, no trailing slash), e.g. `https://app.example`.
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.origins.push(origin.to_owned());
        self
    }

    /// Allows each of these origins exactly.
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.origins
            .extend(origins.into_iter().map(|o| o.as_ref().to_owned()));
        self
    }

    /// Allows the origins matching `scheme://*.domain[:port]`: `*` stands for
    /// one or more subdomain labels, e.g. `https://*.example.com` matches
    /// `https://a.example.com` and `https://a.b.example.com`, not
    /// `https://example.com` nor `https://evil-example.com`.
    pub fn allow_origin_pattern(mut self, pattern: &str) -> Self {
        self.patterns.push(pattern.to_owned());
        self
    }

    /// Allows the origins for which `f` returns `true` (checked after the
    /// exact list and the patterns).
    pub fn allow_origin_fn(mut self, f: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.predicate = Some(Arc::new(f));
        self
    }

    /// Allows every origin: `Access-Control-Allow-Origin: *`. Not with credentials.
    pub fn allow_any_origin(mut self) -> Self {
        self.any_origin = true;
        self
    }

    /// The methods a preflight allows (default `GET, HEAD, POST, PUT, PATCH, DELETE`).
    pub fn allow_methods<I: IntoIterator<Item = Method>>(mut self, methods: I) -> Self {
        self.methods = Some(methods.into_iter().map(|m| m.as_str().to_owned()).collect());
        self
    }

    /// Allows any method a preflight asks for (its
    /// `Access-Control-Request-Method` is mirrored).
    pub fn allow_any_method(mut self) -> Self {
        self.any_method = true;
        self
    }

    /// The request headers a preflight allows, e.g. `authorization`,
    /// `content-type` (CORS-safelisted headers need not be listed).
    pub fn allow_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.headers
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
        self
    }

    /// Allows any request header a preflight asks for (its
    /// `Access-Control-Request-Headers` is mirrored; a literal `*` would not
    /// cover `Authorization`).
    pub fn allow_any_header(mut self) -> Self {
        self.any_header = true;
        self
    }

    /// Response headers the page may read besides the safelisted ones (sent
    /// on actual responses only).
    pub fn expose_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.expose
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
        self
    }

    /// Whether the page may send and read credentials (cookies, HTTP auth):
    /// `Access-Control-Allow-Credentials: true`. Default `false`.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// How long a browser may cache a preflight answer (`Access-Control-Max-Age`,
    /// whole seconds; browsers cap it, Chromium at 2 hours).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Also add `Vary: Origin` to responses to requests without `Origin`
    /// (default `false`: such requests cost nothing). Turn it on when shared
    /// caches may store responses that CORS requests later reuse.
    pub fn vary_always(mut self, on: bool) -> Self {
        self.vary_always = on;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// No origin allowed; credentials with `*` (any origin, or `*` in the
    /// expose list); any origin combined with a list; an origin that is not
    /// `scheme://host[:port]` as browsers send it (or is `null`); a malformed
    /// pattern; an invalid method or header name.
    #[allow(clippy::too_many_lines)] // one check after the other, each with its message
    pub fn build(self) -> Result<Cors, ConfigError> {
        let err = |m: String| ConfigError::new("Cors", m);
        let listed =
            !self.origins.is_empty() || !self.patterns.is_empty() || self.predicate.is_some();
        if self.any_origin && self.credentials {
            return Err(err(
                "`allow_credentials(true)` cannot be combined with `allow_any_origin()`: browsers reject `Access-Control-Allow-Origin: *` on credentialed requests; list the origins with `allow_origin`".into(),
            ));
        }
        if self.any_origin && listed {
            return Err(err(
                "`allow_any_origin()` allows every origin; remove it or the origin list".into(),
            ));
        }
        if !self.any_origin && !listed {
            return Err(err(
                "no origin is allowed; add `allow_origin(\"https://app.example\")`, `allow_origin_pattern(..)`, `allow_origin_fn(..)` or `allow_any_origin()`".into(),
            ));
        }
        let origins = if self.any_origin {
            Origins::Any
        } else {
            let mut exact = Vec::new();
            for o in &self.origins {
                check_origin(o).map_err(err)?;
                if !exact
                    .iter()
                    .any(|e: &HeaderValue| e.as_bytes() == o.as_bytes())
                {
                    exact.push(
                        config_value(o).map_err(|_| err(format!("`{o}` is not a valid origin")))?,
                    );
                }
            }
            if exact.len() > usize::from(u16::MAX) {
                return Err(err(
                    "more than 65535 exact origins; use a pattern or `allow_origin_fn`".into(),
                ));
            }
            let index = (exact.len() > 16).then(|| {
                exact
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (Box::<[u8]>::from(e.as_bytes()), to_u16(i)))
                    .collect()
            });
            let patterns = self
                .patterns
                .iter()
                .map(|p| parse_pattern(p).map_err(err))
                .collect::<Result<_, _>>()?;
            Origins::List {
                exact,
                index,
                patterns,
                predicate: self.predicate,
            }
        };
        let methods = if self.any_method {
            Answer::Mirror
        } else {
            let list = self.methods.unwrap_or_else(|| {
                ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
                    .map(str::to_owned)
                    .to_vec()
            });
            for m in &list {
                Method::from_bytes(m.as_bytes())
                    .map_err(|_| err(format!("`{m}` is not a valid method")))?;
            }
            Answer::List(join(&list).map_err(err)?)
        };
        let headers = if self.any_header {
            Answer::Mirror
        } else {
            let list = names(&self.headers, "allow_headers", "allow_any_header()").map_err(err)?;
            Answer::List(join(&list).map_err(err)?)
        };
        if self.credentials && self.expose.iter().any(|h| h.trim() == "*") {
            return Err(err(
                "`*` in `expose_headers` is a literal header name on credentialed requests; list the headers".into(),
            ));
        }
        let expose = self
            .expose
            .iter()
            .filter(|h| h.trim() == "*")
            .map(|_| "*".to_owned())
            .chain(
                names(
                    &self
                        .expose
                        .iter()
                        .filter(|h| h.trim() != "*")
                        .cloned()
                        .collect::<Vec<_>>(),
                    "expose_headers",
                    "`*` without credentials",
                )
                .map_err(err)?,
            )
            .collect::<Vec<_>>();
        let expose = join(&expose).map_err(err)?;
        let max_age = match self.max_age {
            Some(a) => Some(
                config_value(&a.as_secs().to_string())
                    .map_err(|_| err("invalid max age".into()))?,
            ),
            None => None,
        };
        Ok(Cors {
            origins,
            methods,
            headers,
            expose,
            credentials: self.credentials,
            max_age,
            vary_always: self.vary_always,
        })
    }
}

/// Lowercased, checked header names.
fn names(list: &[String], what: &str, any: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for h in list {
        let h = h.trim();
        if h == "*" {
            return Err(format!("use {any} rather than `*` in `{what}`"));
        }
        let name = HeaderName::try_from(h)
            .map_err(|_| format!("`{h}` in `{what}` is not a valid header name"))?;
        if !out.iter().any(|o| o == name.as_str()) {
            out.push(name.as_str().to_owned());
        }
    }
    Ok(out)
}

fn join(list: &[String]) -> Result<Option<HeaderValue>, String> {
    if list.is_empty() {
        return Ok(None);
    }
    let s = list.join(", ");
    config_value(&s)
        .map(Some)
        .map_err(|_| format!("`{s}` is not a valid header value"))
}

/// `scheme://host[:port]`, as a browser serializes an origin.
fn check_origin(o: &str) -> Result<(), String> {
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

fn parse_pattern(p: &str) -> Result<Pattern, String> {
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

    #[test]
    fn invalid_configs_are_rejected_with_the_fix() {
        let e = Cors::builder().build().unwrap_err();
        assert!(e.message().contains("no origin is allowed"), "{e}");
        let e = Cors::builder()
            .allow_any_origin()
            .allow_credentials(true)
            .build()
            .unwrap_err();
        assert!(e.message().contains("cannot be combined"), "{e}");
        let e = Cors::builder()
            .allow_any_origin()
            .allow_origin("https://a.example")
            .build()
            .unwrap_err();
        assert!(e.message().contains("remove it or the origin list"), "{e}");
        let e = Cors::builder()
            .allow_origin("https://a.example")
            .allow_credentials(true)
            .expose_headers(["*"])
            .build()
            .unwrap_err();
        assert!(e.message().contains("expose_headers"), "{e}");
        let e = Cors::builder()
            .allow_origin("https://a.example")
            .allow_headers(["*"])
            .build()
            .unwrap_err();
        assert!(e.message().contains("allow_any_header()"), "{e}");
        let e = Cors::builder()
            .allow_origin("https://a.example")
            .allow_headers(["bad header"])
            .build()
            .unwrap_err();
        assert!(e.message().contains("not a valid header name"), "{e}");
        let e = Cors::builder()
            .allow_origin("https://a.example/")
            .build()
            .unwrap_err();
        assert!(e.message().contains("remove the path"), "{e}");
    }

    #[test]
    fn vary_is_appended_not_replaced() {
        let mut h = HeaderMap::new();
        add_vary(&mut h, VARY_ORIGIN);
        assert_eq!(h.get_all(VARY).iter().count(), 1);
        add_vary(&mut h, VARY_ORIGIN);
        assert_eq!(h.get_all(VARY).iter().count(), 1, "no duplicate");
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("accept-encoding"));
        add_vary(&mut h, VARY_ORIGIN);
        let all: Vec<_> = h.get_all(VARY).iter().collect();
        assert_eq!(all, ["accept-encoding", "origin"]);
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("*"));
        add_vary(&mut h, VARY_ORIGIN);
        assert_eq!(h.get_all(VARY).iter().count(), 1);
    }
}
