//! Rendering an [`Error`]: RFC 9457 problem+json by default, and
//! [`rerender`], the hook through which an app renders its own format.
//!
//! The body, member by member:
//!
//! | member | RFC 9457 | value |
//! |---|---|---|
//! | `type` | §3.1.1 | `"about:blank"`: the status says it all, refined by `code` |
//! | `title` | §3.1.3 | the status's reason phrase, as §4.2.1 asks for `about:blank` |
//! | `status` | §3.1.2 | the response status, as a number |
//! | `detail` | §3.1.4 | the error's message; absent when it has none |
//! | `code` | extension | the stable machine-readable code (`"not_found"`, ...) |
//! | `pointer` | extension | the field the error is about, a JSON pointer; absent when none |
//! | `errors` | extension | every failing field, `{"pointer", "detail", "code"?}`; absent when none |
//!
//! `instance` is never sent: the error does not know the request, and the
//! request's URI is something the client has anyway.

use http::header;
use serde::Serialize;
use serde::ser::SerializeStruct;

use super::{Error, FieldError};
use crate::response::with_content_type;
use crate::{Body, IntoResponse, Response};

/// The media type of the default error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

struct Problem<'a>(&'a Error);

impl Serialize for Problem<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut st = s.serialize_struct("Problem", 7)?;
        st.serialize_field("type", "about:blank")?;
        st.serialize_field("title", e.title())?;
        st.serialize_field("status", &e.status().as_u16())?;
        match e.message_opt() {
            Some(m) => st.serialize_field("detail", m)?,
            None => st.skip_field("detail")?,
        }
        st.serialize_field("code", e.code())?;
        match e.pointer() {
            Some(p) => st.serialize_field("pointer", p)?,
            None => st.skip_field("pointer")?,
        }
        if e.field_errors().is_empty() {
            st.skip_field("errors")?;
        } else {
            st.serialize_field("errors", e.field_errors())?;
        }
        st.end()
    }
}

impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FieldError", 3)?;
        st.serialize_field("pointer", &*self.pointer)?;
        st.serialize_field("detail", &*self.message)?;
        match self.code {
            Some(c) => st.serialize_field("code", c)?,
            None => st.skip_field("code")?,
        }
        st.end()
    }
}

/// The default rendering of an error: its status, `Content-Type:
/// application/problem+json` and the body described member by member in the
/// [errors guide](crate::guide::errors). The error's own headers are not included (its
/// [`IntoResponse`] adds them, and [`rerender`] keeps them), so this is
/// also the shape of a renderer for [`rerender`].
///
/// ```
/// use kiln::{Error, error::problem_json, http::StatusCode};
///
/// let res = problem_json(&Error::not_found().message("no todo 7"));
/// assert_eq!(res.status(), StatusCode::NOT_FOUND);
/// assert_eq!(res.headers()["content-type"], "application/problem+json");
/// let json: serde_json::Value = serde_json::from_slice(res.body().as_bytes().unwrap()).unwrap();
/// assert_eq!(json, serde_json::json!({
///     "type": "about:blank", "title": "Not Found", "status": 404,
///     "detail": "no todo 7", "code": "not_found",
/// }));
/// ```
#[must_use]
pub fn problem_json(error: &Error) -> Response {
    // Serializing borrowed strings into a `Vec` cannot fail.
    let body = serde_json::to_vec(&Problem(error)).unwrap_or_default();
    let mut res = with_content_type(Body::from(body), PROBLEM_JSON);
    *res.status_mut() = error.status();
    res
}

/// The error's status and headers, a problem+json body, and the `Error`
/// itself in the response extensions (for [`rerender`], and for a post hook
/// that wants to know what failed).
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut res = problem_json(&self);
        let headers = res.headers_mut();
        for (name, value) in &self.inner.headers {
            headers.append(name, value.clone());
        }
        res.extensions_mut().insert(self);
        res
    }
}

/// Re-renders an error response in an app's own format.
///
/// When `res` carries an [`Error`] in its extensions (every error kiln
/// generates does, and so does any `Error` a handler or middleware
/// returns), its body and content headers (`Content-Type`, `Content-Length`,
/// `Content-Encoding`) are replaced with those `render` returns, plus any
/// other header `render` sets; its status and every other header (CORS,
/// request id, `Allow`, `Retry-After`, ...) stay. A response without an
/// `Error` is left alone, at the cost of one branch.
///
/// `chain!`'s `errors = render` option calls it at the outermost point of
/// every pipeline; it is public for that generated code and for tests.
///
/// ```
/// use kiln::{Error, IntoResponse, Json, Response};
///
/// fn plain(e: &Error) -> Response {
///     format!("{}: {}", e.code(), e.detail()).into_response()
/// }
///
/// let mut res = Error::not_found().into_response();
/// kiln::__private::rerender(&mut res, plain);
/// assert_eq!(res.status(), 404);
/// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
/// assert_eq!(res.body().as_bytes().unwrap(), b"not_found: Not Found");
/// ```
pub fn rerender(res: &mut Response, render: fn(&Error) -> Response) {
    let Some(error) = res.extensions().get::<Error>() else {
        return;
    };
    let (parts, body) = render(error).into_parts();
    *res.body_mut() = body;
    let headers = res.headers_mut();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
    ] {
        headers.remove(name);
    }
    let mut last = None;
    for (name, value) in parts.headers {
        // `HeaderMap`'s `IntoIterator` names only the first value of each header.
        let name = match name {
            Some(n) => {
                headers.remove(&n);
                last = Some(n.clone());
                n
            }
            None => match &last {
                Some(n) => n.clone(),
                None => continue,
            },
        };
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderName, HeaderValue, StatusCode};

    use super::*;

    fn body(res: &Response) -> serde_json::Value {
        serde_json::from_slice(res.body().as_bytes().expect("in-memory body")).unwrap()
    }

    #[test]
    fn every_member() {
        let err = Error::validation_failed([
            FieldError::new("/items/3/name", "length is lower than 1").code("length"),
            FieldError::new("/email", "not an email"),
        ])
        .field("/items");
        let res = err.into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()["content-type"], PROBLEM_JSON);
        assert_eq!(
            body(&res),
            serde_json::json!({
                "type": "about:blank",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "the data failed validation; `errors` lists every failing field",
                "code": "validation_failed",
                "pointer": "/items",
                "errors": [
                    {"pointer": "/items/3/name", "detail": "length is lower than 1", "code": "length"},
                    {"pointer": "/email", "detail": "not an email"},
                ],
            })
        );
        assert_eq!(
            res.extensions().get::<Error>().unwrap().code(),
            "validation_failed"
        );
    }

    fn realworld(e: &Error) -> Response {
        let json = serde_json::json!({"errors": {"body": [e.detail()]}});
        let mut res = crate::Json(json).into_response();
        for v in ["a", "b"] {
            res.headers_mut()
                .append("x-renderer", HeaderValue::from_static(v));
        }
        res
    }

    #[test]
    fn headers_are_sent_and_kept_by_rerender() {
        let challenge = HeaderName::from_static("www-authenticate");
        let mut res = Error::unauthorized()
            .header(challenge.clone(), HeaderValue::from_static("Bearer"))
            .header(challenge.clone(), HeaderValue::from_static("Basic"))
            .into_response();
        res.headers_mut()
            .insert("x-request-id", HeaderValue::from_static("r1"));
        assert_eq!(res.headers().get_all(&challenge).iter().count(), 2);
        res.headers_mut()
            .insert("x-renderer", HeaderValue::from_static("stale"));
        rerender(&mut res, realworld);
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.headers()["x-request-id"], "r1");
        assert_eq!(res.headers().get_all(&challenge).iter().count(), 2);
        // A header the renderer sets replaces the response's, every value of it.
        let renderer: Vec<_> = res.headers().get_all("x-renderer").iter().collect();
        assert_eq!(renderer, ["a", "b"]);
        assert_eq!(
            body(&res),
            serde_json::json!({"errors": {"body": ["Unauthorized"]}})
        );
    }

    #[test]
    fn rerender_leaves_other_responses_alone() {
        let mut res = (StatusCode::NOT_FOUND, "mine").into_response();
        rerender(&mut res, |_| panic!("not an Error response"));
        assert_eq!(res.body().as_bytes().unwrap(), b"mine");
    }
}
