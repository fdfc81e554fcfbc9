//! Typed single headers: [`Header<T>`] extracts one header decoded by a
//! [`TypedHeader`] impl; a few common ones are provided.

use std::fmt;

use http::{HeaderName, HeaderValue, StatusCode, header};

use super::{FromRequestParts, RequestCx};
use crate::Request;
use crate::error::{Error, code};

/// A header with a name and a decoding from its value.
///
/// ```
/// use kiln::{TypedHeader, http::{HeaderName, HeaderValue}};
///
/// /// `x-request-id`, any visible ASCII.
/// struct RequestId(String);
///
/// impl TypedHeader for RequestId {
///     const NAME: HeaderName = HeaderName::from_static("x-request-id");
///     fn decode(value: &HeaderValue) -> Option<Self> {
///         value.to_str().ok().map(|s| RequestId(s.to_owned()))
///     }
/// }
/// ```
pub trait TypedHeader: Sized + Send {
    /// The header's name.
    const NAME: HeaderName;

    /// Decodes the (first) value, or `None` when it is malformed.
    fn decode(value: &HeaderValue) -> Option<Self>;
}

/// The header `T`, decoded: a `400 Bad Request` [`Error`] when it is missing
/// (code `missing_header`) or malformed (code `invalid_header`), naming the
/// header.
///
/// ```
/// use kiln::{FromRequestParts, Header, RequestCx, TestClient, ConnInfo, PathParams};
/// use kiln::headers::UserAgent;
///
/// let req = TestClient::new(()).get("/").header("user-agent", "curl/8").build();
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let Ok(Header(UserAgent(ua))) = Header::<UserAgent>::from_request_parts(&req, &cx) else { panic!() };
/// assert_eq!(ua, "curl/8");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header<T>(pub T);

impl<T: TypedHeader> FromRequestParts for Header<T> {
    type Rejection = Error;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Error> {
        let Some(value) = req.headers().get(T::NAME) else {
            return Err(Error::new(StatusCode::BAD_REQUEST, code::MISSING_HEADER)
                .message(format!("missing header `{}`", T::NAME)));
        };
        T::decode(value).map(Header).ok_or_else(|| {
            Error::new(StatusCode::BAD_REQUEST, code::INVALID_HEADER)
                .message(format!("invalid header `{}`", T::NAME))
        })
    }
}

/// `User-Agent`, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent(pub String);

impl TypedHeader for UserAgent {
    const NAME: HeaderName = header::USER_AGENT;
    fn decode(value: &HeaderValue) -> Option<Self> {
        value.to_str().ok().map(|s| UserAgent(s.to_owned()))
    }
}

/// `Content-Type`, as text (parameters included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(pub String);

impl TypedHeader for ContentType {
    const NAME: HeaderName = header::CONTENT_TYPE;
    fn decode(value: &HeaderValue) -> Option<Self> {
        value.to_str().ok().map(|s| ContentType(s.to_owned()))
    }
}

/// `Content-Length`, a decimal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentLength(pub u64);

impl TypedHeader for ContentLength {
    const NAME: HeaderName = header::CONTENT_LENGTH;
    fn decode(value: &HeaderValue) -> Option<Self> {
        value.to_str().ok()?.parse().ok().map(ContentLength)
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
#[derive(Clone, PartialEq, Eq)]
pub struct Bearer(pub String);

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer(..)")
    }
}

impl TypedHeader for Bearer {
    const NAME: HeaderName = header::AUTHORIZATION;
    fn decode(value: &HeaderValue) -> Option<Self> {
        let s = value.to_str().ok()?;
        let (scheme, token) = s.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .then(|| Bearer(token.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer() {
        let v = |s| HeaderValue::from_static(s);
        assert_eq!(Bearer::decode(&v("bearer abc")), Some(Bearer("abc".into())));
        assert_eq!(Bearer::decode(&v("Basic abc")), None);
        assert_eq!(Bearer::decode(&v("Bearer ")), None);
    }
}
