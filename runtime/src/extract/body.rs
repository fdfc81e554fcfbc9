//! Body extractors: [`Bytes`], [`String`], [`Json`], [`Form`] and [`Body`]
//! itself (the stream, unread).
//!
//! Each takes the request body (a second body extractor in the same handler
//! sees it empty) and reads at most the route's body limit ([`RequestCx::body_limit`]: its
//! `#[limit(body = ..)]`, else [`ConnInfo::body_limit`](crate::ConnInfo::body_limit))
//! bytes. Failures are [`Error`]s: `413` past the limit, `415` for a
//! wrong `Content-Type`, `400` for unreadable or malformed bodies, `422` for
//! well-formed bodies that do not fit the target type.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::{Extracting, FromRequest, RequestCx};
use crate::error::{Error, code, from_serde_path};
use crate::{Body, CollectError, IntoResponse, Json, Request, Response};

fn collect_failed(e: CollectError, limit: usize) -> Error {
    match e {
        CollectError::TooLarge { limit } => too_large(limit),
        // A stream bounded by `take_limited` (a middleware's copy of it).
        CollectError::Read(e) if e.is::<http_body_util::LengthLimitError>() => too_large(limit),
        CollectError::Read(e) if e.is::<crate::BodyTimeout>() => {
            Error::from(*e.downcast_ref::<crate::BodyTimeout>().expect("checked"))
        }
        CollectError::Read(e) => {
            // `Compression`'s decoder went past its limit (a zip bomb, say).
            #[cfg(feature = "compression")]
            if let Some(d) = e.downcast_ref::<crate::builtin::DecompressedTooLarge>() {
                return Error::from(*d);
            }
            Error::new(StatusCode::BAD_REQUEST, code::INVALID_BODY)
                .message(format!("failed to read the request body: {e}"))
        }
    }
}

/// Takes the body, bounded by `limit`: a body declared larger is refused
/// before a byte is read (and before hyper sends `100 Continue`); a stream of
/// unknown length fails once it goes past the limit.
pub(crate) fn take_limited(req: &mut Request, limit: usize) -> Result<Body, Error> {
    let body = std::mem::take(req.body_mut());
    if http_body::Body::size_hint(&body).lower() > limit as u64 {
        return Err(too_large(limit));
    }
    Ok(if body.is_stream() {
        Body::wrap(http_body_util::Limited::new(body, limit))
    } else {
        body
    })
}

/// `413`, naming the limit.
pub(crate) fn too_large(limit: impl std::fmt::Display) -> Error {
    Error::new(StatusCode::PAYLOAD_TOO_LARGE, code::PAYLOAD_TOO_LARGE)
        .message(format!("request body larger than {limit} bytes"))
}

/// Takes the body, reads it within the limit and hands the bytes to `parse`.
///
/// A body already in memory (tests, `TestClient`) is read without boxing a
/// future; a stream from a connection is awaited in a boxed future.
fn read_then<'a, T>(
    req: &'a mut Request,
    cx: &RequestCx<'_>,
    parse: impl FnOnce(Bytes) -> Result<T, Error> + Send + 'a,
) -> Extracting<'a, T>
where
    T: FromRequest<Rejection = Error>,
{
    let body = std::mem::take(req.body_mut());
    let limit = cx.body_limit();
    if !body.is_stream() {
        // `collect` of an in-memory body never waits: poll it once.
        let mut fut = pin!(body.collect(limit));
        let result = match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r.map_err(|e| collect_failed(e, limit)).and_then(parse),
            Poll::Pending => {
                tracing::error!("in-memory request body not ready; answering 500");
                Err(Error::internal())
            }
        };
        return Extracting::ready(result);
    }
    Extracting::future(async move {
        parse(
            body.collect(limit)
                .await
                .map_err(|e| collect_failed(e, limit))?,
        )
    })
}

/// The media type of the request without parameters, lowercased by the caller's comparison.
fn media_type(headers: &HeaderMap) -> Option<&str> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(ct.split(';').next().unwrap_or("").trim())
}

fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|m| {
        m.eq_ignore_ascii_case("application/json")
            || (m.len() > "application/+json".len()
                && m[..12].eq_ignore_ascii_case("application/")
                && m[m.len() - 5..].eq_ignore_ascii_case("+json"))
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn unsupported(expected: &str, headers: &HeaderMap) -> Error {
    let got = headers
        .get(header::CONTENT_TYPE)
        .map_or("none", |v| v.to_str().unwrap_or("(not text)"));
    Error::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code::UNSUPPORTED_MEDIA_TYPE,
    )
    .message(format!("expected `content-type: {expected}`, got {got}"))
}

/// The whole body as bytes (no `Content-Type` required).
///
/// ```
/// # use kiln::{FromRequest, RequestCx, TestClient, ConnInfo, PathParams};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = TestClient::new(()).post("/").body("abc").build();
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let bytes = bytes::Bytes::from_request(&mut req, &cx).await.unwrap();
/// assert_eq!(bytes, "abc");
/// # });
/// ```
impl FromRequest for Bytes {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        read_then(req, cx, Ok)
    }
}

/// The whole body as UTF-8 text; `400` when it is not UTF-8.
impl FromRequest for String {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        read_then(req, cx, |bytes| {
            String::from_utf8(bytes.into()).map_err(|e| {
                Error::new(StatusCode::BAD_REQUEST, code::INVALID_BODY)
                    .message(format!("request body is not UTF-8: {}", e.utf8_error()))
            })
        })
    }
}

/// The body stream itself, unread, for handlers that process large bodies
/// chunk by chunk. The route's body limit still applies: a body declared
/// larger is a `413` before the handler runs, and the stream fails once more
/// than the limit has arrived.
///
/// ```
/// # use kiln::{Body, FromRequest, RequestCx, TestClient, ConnInfo, PathParams};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = TestClient::new(()).post("/").body("streamed").build();
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let body = Body::from_request(&mut req, &cx).await.unwrap();
/// assert_eq!(body.collect(1024).await.unwrap(), "streamed");
/// # });
/// ```
impl FromRequest for Body {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        Extracting::ready(take_limited(req, cx.body_limit()))
    }
}

/// The body parsed as JSON. Requires `Content-Type: application/json` (or
/// `application/*+json`).
///
/// | failure | status |
/// |---|---|
/// | other or missing content type | 415 |
/// | body over the limit | 413 |
/// | not JSON (syntax, truncated) | 400 |
/// | JSON of the wrong shape (missing field, wrong type) | 422 |
///
/// Each is an [`Error`] (codes `unsupported_media_type`, `payload_too_large`,
/// `invalid_json`, `json_mismatch`) whose message says where and why, as
/// serde_json does (`invalid JSON: expected value at line 1 column 9`); a
/// 422 also names the field as a JSON pointer (`/items/3/title`).
///
/// ```
/// # use kiln::{FromRequest, Json, RequestCx, TestClient, ConnInfo, PathParams, http::StatusCode};
/// #[derive(serde::Deserialize)]
/// struct Todo { title: String }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let client = TestClient::new(());
/// let mut req = client.post("/").header("content-type", "application/json")
///     .body(r#"{"title":"write docs"}"#).build();
/// let Json(todo) = Json::<Todo>::from_request(&mut req, &cx).await.unwrap();
/// assert_eq!(todo.title, "write docs");
///
/// let mut req = client.post("/").header("content-type", "application/json")
///     .body(r#"{"title":1}"#).build();
/// let err = Json::<Todo>::from_request(&mut req, &cx).await.err().unwrap();
/// assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
/// assert_eq!(err.pointer(), Some("/title"));
/// # });
/// ```
impl<T: DeserializeOwned + Send + 'static> FromRequest for Json<T> {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        if !is_json(req.headers()) {
            return Extracting::ready(Err(unsupported("application/json", req.headers())));
        }
        read_then(req, cx, |bytes| {
            serde_json::from_slice(&bytes)
                .map(Json)
                .map_err(|e| json_failed::<T>(&e, &bytes))
        })
    }
}

/// The error for a body that `serde_json` rejected.
///
/// A data error is parsed again with path tracking to name the field: the
/// success path pays nothing for it, a 422 pays a second parse.
pub(crate) fn json_failed<T: DeserializeOwned>(e: &serde_json::Error, bytes: &[u8]) -> Error {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            let pointer = serde_path_to_error::deserialize::<_, T>(de)
                .err()
                .and_then(|e| from_serde_path(e.path()));
            let err = Error::new(StatusCode::UNPROCESSABLE_ENTITY, code::JSON_MISMATCH)
                .message(format!("JSON does not match the expected shape: {e}"));
            match pointer {
                Some(p) => err.field(p),
                None => err,
            }
        }
        Category::Syntax | Category::Eof | Category::Io => {
            Error::new(StatusCode::BAD_REQUEST, code::INVALID_JSON)
                .message(format!("invalid JSON: {e}"))
        }
    }
}

/// A URL-encoded form body (`Content-Type: application/x-www-form-urlencoded`)
/// deserialized into `T`; as a response, `T` serialized the same way.
///
/// `415` for another content type, `413` over the limit, `422` (code
/// `invalid_form`, with the field's pointer) when the form does not fit `T`
/// (a missing field, a value that does not parse).
///
/// ```
/// # use kiln::{FromRequest, Form, RequestCx, TestClient, ConnInfo, PathParams};
/// #[derive(serde::Deserialize)]
/// struct Login { user: String, remember: bool }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let mut req = TestClient::new(()).post("/")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body("user=ada&remember=true").build();
/// let Form(login) = Form::<Login>::from_request(&mut req, &cx).await.unwrap();
/// assert!(login.remember && login.user == "ada");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest for Form<T> {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        if !is_form(req.headers()) {
            return Extracting::ready(Err(unsupported(
                "application/x-www-form-urlencoded",
                req.headers(),
            )));
        }
        read_then(req, cx, |bytes| {
            super::from_urlencoded(&bytes).map(Form).map_err(|e| {
                e.into_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code::INVALID_FORM,
                    "invalid form data",
                )
            })
        })
    }
}

impl<T: serde::Serialize> IntoResponse for Form<T> {
    fn into_response(self) -> Response {
        match serde_urlencoded::to_string(&self.0) {
            Ok(s) => {
                let mut res = Response::new(Body::from(s));
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                res
            }
            Err(e) => {
                tracing::error!(error = %e, "form serialization failed; answering 500");
                Error::internal().into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("Application/JSON; charset=utf-8")));
        assert!(is_json(&headers("application/problem+json")));
        assert!(!is_json(&headers("application/+json")));
        assert!(!is_json(&headers("text/json")));
        assert!(!is_json(&headers("application/jsonx")));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn form_content_type() {
        assert!(is_form(&headers(
            "application/x-www-form-urlencoded; charset=utf-8"
        )));
        assert!(!is_form(&headers("multipart/form-data")));
    }
}
