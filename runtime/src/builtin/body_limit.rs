//! Body limit: `413 Payload Too Large` for bodies over a limit, up front when
//! the size is declared, while reading otherwise.

use std::fmt;

use http::header::CONTENT_LENGTH;

use super::ConfigError;
use crate::{Body, IntoResponse, Request, Response, middleware};

/// The body limit middleware: rejects a request whose body is larger than the
/// limit with `413 Payload Too Large`.
///
/// - A `Content-Length` over the limit is rejected before anything reads the
///   body (nor does hyper then send `100 Continue`).
/// - A body of unknown length (chunked, or HTTP/2 without `content-length`) is
///   wrapped so that reading past the limit fails; body extractors answer
///   that with 413. The wrapper is the one allocation this middleware makes,
///   and only for such bodies.
///
/// It can only lower the limit: body extractors also enforce
/// [`ConnInfo::body_limit`](crate::ConnInfo::body_limit) (set with
/// [`ServeConfig::body_limit`](crate::ServeConfig::body_limit), 2 MiB by
/// default). List it per route for a route-specific limit
/// (`POST "/avatar" => upload with [kiln::builtin::BodyLimit]`) — one limit per
/// app, since it is configured by its singleton.
///
/// Default priority -40.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::BodyLimit;
///
/// #[handler]
/// fn upload(body: bytes::Bytes) -> String { body.len().to_string() }
///
/// chain! {
///     struct App;
///     singletons { limit: BodyLimit }
///     middleware { kiln::builtin::BodyLimit }
///     routes { POST "/" => upload }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { limit: BodyLimit::new(4).unwrap() }));
/// assert_eq!(client.post("/").body("1234").send().await.text(), "4");
/// let res = client.post("/").header("content-length", "5").body("12345").send().await;
/// assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    max: u64,
}

impl BodyLimit {
    /// A limit of `max` bytes.
    ///
    /// # Errors
    /// A limit of 0 (use a route without a body extractor, or reject in the
    /// handler, to refuse every body).
    pub fn new(max: usize) -> Result<Self, ConfigError> {
        if max == 0 {
            return Err(ConfigError::new(
                "BodyLimit",
                "a limit of 0 bytes rejects every body; give at least 1",
            ));
        }
        Ok(BodyLimit { max: max as u64 })
    }

    /// The limit in bytes.
    #[must_use]
    pub fn max(&self) -> u64 {
        self.max
    }
}

/// The body is larger than the limit: `413 Payload Too Large`, an [`Error`](crate::Error)
/// with code `payload_too_large`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit in bytes.
    pub limit: u64,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request body larger than {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

impl From<BodyTooLarge> for crate::Error {
    fn from(e: BodyTooLarge) -> Self {
        crate::extract::too_large(e.limit)
    }
}

impl IntoResponse for BodyTooLarge {
    fn into_response(self) -> Response {
        crate::Error::from(self).into_response()
    }
}

#[middleware(priority = -40, pre_route)]
impl BodyLimit {
    /// Checks the declared or in-memory size; wraps a stream of unknown length.
    ///
    /// # Errors
    /// [`BodyTooLarge`] when the body is known to be over the limit.
    #[inline]
    pub fn pre(&self, req: &mut Request) -> Result<(), BodyTooLarge> {
        let too_large = BodyTooLarge { limit: self.max };
        if let Some(len) = req.headers().get(CONTENT_LENGTH) {
            return match parse_len(len.as_bytes()) {
                Some(n) if n <= self.max => Ok(()),
                _ => Err(too_large),
            };
        }
        let body = req.body_mut();
        if let Some(bytes) = body.as_bytes() {
            // In memory (empty, or built in process): its size is known.
            return if bytes.len() as u64 <= self.max {
                Ok(())
            } else {
                Err(too_large)
            };
        }
        let limit = usize::try_from(self.max).unwrap_or(usize::MAX);
        let stream = std::mem::take(body);
        *body = Body::wrap(http_body_util::Limited::new(stream, limit));
        Ok(())
    }
}

/// A `Content-Length` value; `None` when malformed (hyper rejects those first).
fn parse_len(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    b.iter().try_fold(0u64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_parses() {
        assert_eq!(parse_len(b"0"), Some(0));
        assert_eq!(parse_len(b"1234"), Some(1234));
        assert_eq!(parse_len(b""), None);
        assert_eq!(parse_len(b"12a"), None);
        assert_eq!(parse_len(b"99999999999999999999"), None);
    }

    #[test]
    fn zero_is_rejected() {
        assert!(BodyLimit::new(0).is_err());
    }
}
