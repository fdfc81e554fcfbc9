//! Body limit: `413 Payload Too Large`, early in the chain, for a body
//! declared larger than the route's limit.

use std::fmt;

use http::header::CONTENT_LENGTH;

use crate::{IntoResponse, Request, Response, RouteLimits, middleware};

/// Rejects, early in the chain, a request whose `Content-Length` is over the
/// route's body limit, with `413 Payload Too Large`.
///
/// The limit itself is the route's: its `#[limit(body = ..)]` in `chain!`,
/// else the server's ([`ServeConfig::body_limit`](crate::ServeConfig::body_limit),
/// 2 MiB). Body extractors enforce it anyway, wherever they run; listing
/// `BodyLimit` (globally, once) only moves the check to its priority, so a
/// declared-too-large body is turned away before the middleware after it
/// (auth, a database transaction) do any work, and before hyper sends
/// `100 Continue`. A chunked body of unknown length is counted by whatever
/// reads it.
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
///     routes {
///         #[limit(body = 4)]
///         POST "/" => upload,
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { limit: BodyLimit }));
/// assert_eq!(client.post("/").body("1234").send().await.text(), "4");
/// let res = client.post("/").header("content-length", "5").body("12345").send().await;
/// assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyLimit;

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
    /// Checks the declared size (or an in-memory body's) against the route's limit.
    ///
    /// # Errors
    /// [`BodyTooLarge`] when the body is known to be over the limit.
    #[inline]
    pub fn pre(&self, req: &Request, limits: RouteLimits) -> Result<(), BodyTooLarge> {
        let limit = limits.body_limit() as u64;
        let too_large = BodyTooLarge { limit };
        let len = match req.headers().get(CONTENT_LENGTH) {
            Some(len) => parse_len(len.as_bytes()),
            // In memory (empty, or built in process): its size is known.
            None => req.body().as_bytes().map(|b| b.len() as u64),
        };
        match len {
            Some(n) if n > limit => Err(too_large),
            _ => Ok(()),
        }
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
}
