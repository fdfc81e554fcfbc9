//! [`CorsBuilder`]: the configuration, checked into a [`Cors`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};

use super::super::{ConfigError, config_value};
use super::Cors;
use super::origins::{OriginFn, Origins, check_origin, parse_pattern, to_u16};
use super::protocol::Answer;

impl Cors {
    /// Starts a configuration: no origin allowed yet; methods `GET, HEAD,
    /// POST, PUT, PATCH, DELETE`; no extra request headers; no credentials.
    pub fn builder() -> CorsBuilder {
        CorsBuilder::default()
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
