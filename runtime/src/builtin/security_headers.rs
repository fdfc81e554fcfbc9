//! Security headers: a preset of response headers that harden browsers'
//! handling of responses, each configurable, set only where the handler did not.

use http::header::{
    CONTENT_SECURITY_POLICY, HeaderName, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderValue, header::Entry};

use super::{ConfigError, config_value};
use crate::{Response, middleware};

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// The preset's values.
const HSTS: &str = "max-age=31536000; includeSubDomains";
const NOSNIFF: &str = "nosniff";
const FRAME: &str = "DENY";
const CSP: &str = "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'";
const REFERRER: &str = "strict-origin-when-cross-origin";
const PERMISSIONS: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";
const COOP: &str = "same-origin";

/// The security headers middleware: adds a preset of hardening headers to
/// every response (short-circuits, 404s and 500s included) unless the handler
/// already set that header.
///
/// | header | default |
/// |---|---|
/// | `Strict-Transport-Security` | `max-age=31536000; includeSubDomains` (ignored by browsers over plain HTTP) |
/// | `X-Content-Type-Options` | `nosniff` |
/// | `X-Frame-Options` | `DENY` |
/// | `Content-Security-Policy` | `default-src 'self'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'` |
/// | `Referrer-Policy` | `strict-origin-when-cross-origin` |
/// | `Permissions-Policy` | `accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()` |
/// | `Cross-Origin-Opener-Policy` | `same-origin` |
///
/// Each can be changed or turned off (`None`) with the builder; values are
/// checked and turned into header values once, so a request only clones them
/// (no allocation). Default priority -70.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::SecurityHeaders;
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { security: SecurityHeaders }
///     middleware { kiln::builtin::SecurityHeaders }
///     routes { GET "/" => index }
/// }
///
/// let security = SecurityHeaders::builder()
///     .content_security_policy(Some("default-src 'none'"))
///     .strict_transport_security(None)
///     .build()
///     .unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = TestClient::new(App::new(AppSingletons { security })).get("/").send().await;
/// assert_eq!(res.header("content-security-policy"), Some("default-src 'none'"));
/// assert_eq!(res.header("strict-transport-security"), None);
/// assert_eq!(res.header("x-frame-options"), Some("DENY"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for SecurityHeaders {
    /// The preset in the table above.
    fn default() -> Self {
        SecurityHeaders {
            headers: preset()
                .into_iter()
                .filter_map(|(n, v)| Some((n, HeaderValue::from_static(v?))))
                .collect(),
        }
    }
}

fn preset() -> [(HeaderName, Option<&'static str>); 7] {
    [
        (STRICT_TRANSPORT_SECURITY, Some(HSTS)),
        (X_CONTENT_TYPE_OPTIONS, Some(NOSNIFF)),
        (X_FRAME_OPTIONS, Some(FRAME)),
        (CONTENT_SECURITY_POLICY, Some(CSP)),
        (REFERRER_POLICY, Some(REFERRER)),
        (PERMISSIONS_POLICY, Some(PERMISSIONS)),
        (CROSS_ORIGIN_OPENER_POLICY, Some(COOP)),
    ]
}

impl SecurityHeaders {
    /// Starts from the preset.
    pub fn builder() -> SecurityHeadersBuilder {
        SecurityHeadersBuilder {
            values: preset().map(|(n, v)| (n, v.map(str::to_owned))),
            extra: Vec::new(),
        }
    }

    /// The headers this middleware sets, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.headers.iter().map(|(n, v)| (n, v))
    }
}

#[middleware(priority = -70, post_route)]
impl SecurityHeaders {
    /// Sets each header the response does not have yet.
    #[inline]
    pub fn post(&self, res: &mut Response) {
        let headers = res.headers_mut();
        for (name, value) in &self.headers {
            if let Entry::Vacant(slot) = headers.entry(name) {
                slot.insert(value.clone());
            }
        }
    }
}

/// Builds a [`SecurityHeaders`] configuration, starting from the preset.
#[derive(Debug, Clone)]
#[must_use]
pub struct SecurityHeadersBuilder {
    values: [(HeaderName, Option<String>); 7],
    extra: Vec<(String, String)>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $fn:ident => $i:literal;)*) => {$(
        $(#[$doc])*
        /// `None` turns it off.
        pub fn $fn(mut self, value: Option<&str>) -> Self {
            self.values[$i].1 = value.map(str::to_owned);
            self
        }
    )*};
}

impl SecurityHeadersBuilder {
    setters! {
        /// `Strict-Transport-Security`.
        strict_transport_security => 0;
        /// `X-Content-Type-Options`.
        content_type_options => 1;
        /// `X-Frame-Options` (`DENY` or `SAMEORIGIN`).
        frame_options => 2;
        /// `Content-Security-Policy`.
        content_security_policy => 3;
        /// `Referrer-Policy`.
        referrer_policy => 4;
        /// `Permissions-Policy`.
        permissions_policy => 5;
        /// `Cross-Origin-Opener-Policy`.
        cross_origin_opener_policy => 6;
    }

    /// Adds another header to set when absent (e.g. `Cross-Origin-Resource-Policy`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.extra.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Checks every value.
    ///
    /// # Errors
    /// A value that is not a valid header value (control characters, say), an
    /// invalid extra header name, or an `X-Frame-Options` other than `DENY` or
    /// `SAMEORIGIN`.
    pub fn build(self) -> Result<SecurityHeaders, ConfigError> {
        let err = |m: String| ConfigError::new("SecurityHeaders", m);
        let mut headers = Vec::new();
        for (name, value) in self.values {
            let Some(value) = value else { continue };
            if name == X_FRAME_OPTIONS && !matches!(value.as_str(), "DENY" | "SAMEORIGIN") {
                return Err(err(format!(
                    "`X-Frame-Options` must be `DENY` or `SAMEORIGIN`, not `{value}` (`ALLOW-FROM` is obsolete; use CSP `frame-ancestors`)"
                )));
            }
            let v = config_value(&value)
                .map_err(|_| err(format!("`{value}` is not a valid value for `{name}`")))?;
            headers.push((name, v));
        }
        for (name, value) in self.extra {
            let n = HeaderName::try_from(name.as_str())
                .map_err(|_| err(format!("`{name}` is not a valid header name")))?;
            drop(n.clone()); // make a custom name's buffer shared now, not on the first request
            let v = config_value(&value)
                .map_err(|_| err(format!("`{value}` is not a valid value for `{name}`")))?;
            headers.push((n, v));
        }
        Ok(SecurityHeaders { headers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_and_builder_agree() {
        let a: Vec<_> = SecurityHeaders::default()
            .headers()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let b: Vec<_> = SecurityHeaders::builder()
            .build()
            .unwrap()
            .headers()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 7);
    }

    #[test]
    fn bad_values_are_rejected() {
        let e = SecurityHeaders::builder()
            .content_security_policy(Some("a\nb"))
            .build()
            .unwrap_err();
        assert!(e.message().contains("content-security-policy"), "{e}");
        let e = SecurityHeaders::builder()
            .frame_options(Some("ALLOW-FROM https://x"))
            .build()
            .unwrap_err();
        assert!(e.message().contains("frame-ancestors"), "{e}");
        assert!(
            SecurityHeaders::builder()
                .header("bad name", "x")
                .build()
                .is_err()
        );
    }
}
