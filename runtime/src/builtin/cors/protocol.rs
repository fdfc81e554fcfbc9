//! [`Cors`] and the protocol itself: the `204` answer to a preflight, the
//! headers of an actual response, and `Vary`.

use std::fmt;

use http::header::Entry;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::CorsDecision;
use super::origins::{Decision, Origins};
use crate::{Body, Request, Response, middleware};

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
///   [`CorsBuilder::allow_any_origin`](super::CorsBuilder::allow_any_origin)), `-Credentials` and
///   `-Expose-Headers` (only here, never on preflights). Its post hook runs
///   for every response inside it, so 401s, 429s, 404s and 500s from inner
///   middleware carry them too, and browsers let the page read them.
/// - `Vary: Origin` is added (appended to an existing `Vary`, never replacing
///   it) whenever the answer depends on the origin — every CORS response
///   unless origins are `*` — including to disallowed origins.
/// - A disallowed origin gets no CORS headers at all.
///
/// Credentials are never combined with `*`: [`CorsBuilder::build`](super::CorsBuilder::build) rejects
/// `allow_credentials(true)` with `allow_any_origin()` (or with `*` in
/// `expose_headers`), and with "any" methods or headers the request's own
/// lists are mirrored rather than answered with a literal `*`.
///
/// Responses to requests without `Origin` get no `Vary: Origin` (no work at
/// all). If such responses may be stored by a shared cache and later served
/// to CORS requests, set [`CorsBuilder::vary_always`](super::CorsBuilder::vary_always).
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
    pub(super) origins: Origins,
    pub(super) methods: Answer,
    pub(super) headers: Answer,
    pub(super) expose: Option<HeaderValue>,
    pub(super) credentials: bool,
    pub(super) max_age: Option<HeaderValue>,
    pub(super) vary_always: bool,
}

/// Methods or headers of a preflight answer.
#[derive(Clone)]
pub(super) enum Answer {
    /// A fixed list (`None`: nothing beyond what is always allowed).
    List(Option<HeaderValue>),
    /// Mirror what the preflight asked for.
    Mirror,
}

const STAR: HeaderValue = HeaderValue::from_static("*");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);

impl Cors {
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

#[cfg(test)]
mod tests {
    use super::*;

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
