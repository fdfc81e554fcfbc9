//! Turning handler and middleware results into responses.

use http::{HeaderName, HeaderValue, StatusCode, header};

use crate::{Body, Response};

/// Conversion into a [`Response`].
///
/// Handlers return anything that implements it, and the error type of a
/// fallible middleware or provider must implement it: an `Err` becomes the
/// response that short-circuits the chain.
///
/// ```
/// use kiln::{IntoResponse, http::StatusCode};
/// let res = (StatusCode::CREATED, "made").into_response();
/// assert_eq!(res.status(), StatusCode::CREATED);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a response: kiln cannot turn it into one",
    label = "this returns `{Self}`, which does not implement `IntoResponse`",
    note = "handlers return anything that implements `kiln::IntoResponse`: `&'static str`, `String`, `Bytes`, `Json<T>`, `StatusCode`, `(StatusCode, T)`, `Response`, `Redirect`, `kiln::Error`, or `Result<T, E>` of those; the error type of a fallible middleware or provider must implement it too",
    note = "for a type of your own, `impl IntoResponse for {Self}`, or return `Json(value)` for JSON"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self;
        res
    }
}

impl IntoResponse for std::convert::Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

/// Room for the headers a response usually ends up with once middleware ran
/// (CORS, request id, security headers, ...): sized up front, the map is
/// allocated once (the same two allocations as its first insert) instead of
/// growing when the 7th header arrives.
const HEADER_ROOM: usize = 16;

pub(crate) fn with_content_type(body: Body, ct: &'static str) -> Response {
    let mut res = Response::new(body);
    let headers = res.headers_mut();
    *headers = http::HeaderMap::with_capacity(HEADER_ROOM);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

const TEXT: &str = "text/plain; charset=utf-8";

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), "application/octet-stream")
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), "application/octet-stream")
    }
}

impl IntoResponse for bytes::Bytes {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), "application/octet-stream")
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(v) => v.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// JSON both ways: as a response, the value serialized with
/// `Content-Type: application/json`; as an extractor ([`FromRequest`](crate::FromRequest)),
/// the request body deserialized (415 for another content type, 413 over the
/// body limit, 400 for a syntax error and 422 for data of the wrong shape, each
/// with line and column).
///
/// A response that fails to serialize becomes a 500 ([`Error::internal`](crate::Error::internal));
/// that is a bug in the value's `Serialize` impl, not bad client input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(v) => with_content_type(Body::from(v), "application/json"),
            Err(e) => {
                tracing::error!(error = %e, "response serialization failed; answering 500");
                crate::Error::internal().into_response()
            }
        }
    }
}

impl IntoResponse for Body {
    /// A response with this body and no headers: set a `Content-Type` with a
    /// header tuple, e.g. `([(CONTENT_TYPE, "text/event-stream")], body)`.
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

/// Applies header pairs to a response; `None` when a name or value is invalid.
fn with_headers<K, V, const N: usize>(mut res: Response, headers: [(K, V); N]) -> Option<Response>
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    for (name, value) in headers {
        res.headers_mut()
            .insert(name.try_into().ok()?, value.try_into().ok()?);
    }
    Some(res)
}

fn invalid_header() -> Response {
    tracing::error!("invalid response header; answering 500");
    crate::Error::internal().into_response()
}

/// Headers and a body: `([(header::CACHE_CONTROL, "no-store")], "text")`.
///
/// Names and values may be typed (`HeaderName`, `HeaderValue`) or strings; a
/// string that is not a valid header turns the response into a `500`. Each
/// pair replaces a header of the same name that `T` set.
///
/// ```
/// use kiln::{IntoResponse, http::{StatusCode, header}};
/// let res = (StatusCode::CREATED, [(header::LOCATION, "/todos/7")], "made").into_response();
/// assert_eq!(res.status(), StatusCode::CREATED);
/// assert_eq!(res.headers()["location"], "/todos/7");
/// let res = ([("x-one", "1"), ("x-two", "2")], "ok").into_response();
/// assert_eq!(res.headers()["x-two"], "2");
/// ```
impl<K, V, T, const N: usize> IntoResponse for ([(K, V); N], T)
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        with_headers(self.1.into_response(), self.0).unwrap_or_else(invalid_header)
    }
}

/// A status, headers and a body.
impl<K, V, T, const N: usize> IntoResponse for (StatusCode, [(K, V); N], T)
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        match with_headers(self.2.into_response(), self.1) {
            Some(mut res) => {
                *res.status_mut() = self.0;
                res
            }
            None => invalid_header(),
        }
    }
}

/// A redirect: a 3xx status with a `Location` header and no body.
///
/// ```
/// use kiln::{IntoResponse, Redirect, http::StatusCode};
/// let res = Redirect::see_other("/todos/7").into_response();
/// assert_eq!(res.status(), StatusCode::SEE_OTHER);
/// assert_eq!(res.headers()["location"], "/todos/7");
/// ```
#[derive(Debug, Clone)]
#[must_use = "a redirect does nothing unless returned as a response"]
pub struct Redirect {
    status: StatusCode,
    /// `None` when the target is not a valid header value.
    location: Option<HeaderValue>,
}

impl Redirect {
    fn new(status: StatusCode, to: &str) -> Self {
        Redirect {
            status,
            location: HeaderValue::try_from(to).ok(),
        }
    }

    /// `303 See Other`: the client follows with a `GET` (after a form `POST`, say).
    pub fn see_other(to: &str) -> Self {
        Redirect::new(StatusCode::SEE_OTHER, to)
    }

    /// `307 Temporary Redirect`: the client repeats the same method and body.
    pub fn temporary(to: &str) -> Self {
        Redirect::new(StatusCode::TEMPORARY_REDIRECT, to)
    }

    /// `308 Permanent Redirect`: like `temporary`, and clients may remember it.
    pub fn permanent(to: &str) -> Self {
        Redirect::new(StatusCode::PERMANENT_REDIRECT, to)
    }

    /// The status it answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Redirect {
    /// An invalid target (a control character, say) is a `500`.
    fn into_response(self) -> Response {
        match self.location {
            Some(location) => {
                let mut res = self.status.into_response();
                res.headers_mut().insert(header::LOCATION, location);
                res
            }
            None => {
                tracing::error!("invalid redirect target; answering 500");
                crate::Error::internal().into_response()
            }
        }
    }
}
