//! One error shape: [`Error`], the structured form of every error kiln
//! generates (404, 405, extractor rejections, 401/403, 413, 429, 500, 504,
//! validation), rendered as RFC 9457 `application/problem+json` by default.
//!
//! An `Error` is a status, a stable machine-readable [`code`], a human
//! message, optionally the field it is about (a JSON pointer) and a list of
//! [`FieldError`]s, plus the response headers it must carry (`Allow`,
//! `WWW-Authenticate`, `Retry-After`, ...). Handlers and middleware may return
//! it too: `Err(Error::new(StatusCode::CONFLICT, "title_taken").message("..."))`.
//!
//! Its response keeps the `Error` in its extensions, so an app can render
//! its own format in one place (see [`rerender`] and the [errors guide](crate::guide::errors)).
//!
//! ```
//! use kiln::{Error, IntoResponse, http::StatusCode};
//!
//! let res = Error::new(StatusCode::CONFLICT, "title_taken")
//!     .message("a todo with this title exists")
//!     .field("/title")
//!     .into_response();
//! assert_eq!(res.status(), StatusCode::CONFLICT);
//! assert_eq!(res.headers()["content-type"], "application/problem+json");
//! assert_eq!(res.extensions().get::<Error>().unwrap().code(), "title_taken");
//! ```

pub mod code;
mod pointer;
mod problem;

use std::borrow::Cow;
use std::fmt;

use http::{HeaderName, HeaderValue, StatusCode};

pub use pointer::{escape as escape_pointer_token, from_serde_path};
pub use problem::{PROBLEM_JSON, problem_json, rerender};

/// The structured form of an error response: status, stable code, message,
/// field, field errors and the headers it must carry.
///
/// Built with [`Error::new`] (or a shorthand such as [`Error::not_found`])
/// and the builder methods [`message`](Error::message),
/// [`field`](Error::field), [`field_error`](Error::field_error) and
/// [`header`](Error::header); read back with [`status`](Error::status),
/// [`code`](Error::code), [`detail`](Error::detail),
/// [`pointer`](Error::pointer), [`field_errors`](Error::field_errors) and
/// [`headers`](Error::headers).
///
/// As a response it is [`problem_json`]: the status, the headers, a
/// problem+json body, and the `Error` itself in the response extensions.
///
/// It is one pointer wide (the details live in one box), so a
/// `Result<T, Error>` costs a middleware's or extractor's future no more than
/// a `Result<T, Box<_>>`; building one allocates, which only error paths do.
#[derive(Clone)]
#[must_use = "an error does nothing unless returned as a response"]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    message: Option<Cow<'static, str>>,
    pointer: Option<Cow<'static, str>>,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Error {
    /// An error with this status and stable code (lowercase snake case, e.g.
    /// `"title_taken"`; kiln's own are in [`code`]).
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Error {
            inner: Box::new(Inner {
                status,
                code,
                message: None,
                pointer: None,
                errors: Vec::new(),
                headers: Vec::new(),
            }),
        }
    }

    /// Sets the human-readable message (problem+json's `detail`). Say what
    /// the client can do about it; never put internal details here.
    pub fn message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.inner.message = Some(message.into());
        self
    }

    /// Sets the field the error is about, as a JSON pointer (RFC 6901) into
    /// the request's body, query or path parameters: `"/title"`,
    /// `"/items/3/name"`. Escape keys with [`escape_pointer_token`].
    pub fn field(mut self, pointer: impl Into<Cow<'static, str>>) -> Self {
        self.inner.pointer = Some(pointer.into());
        self
    }

    /// Adds one field error (validation lists every failing field).
    pub fn field_error(mut self, error: FieldError) -> Self {
        self.inner.errors.push(error);
        self
    }

    /// Adds field errors.
    pub fn field_errors_from(mut self, errors: impl IntoIterator<Item = FieldError>) -> Self {
        self.inner.errors.extend(errors);
        self
    }

    /// Adds a header the response must carry (`Allow`, `WWW-Authenticate`,
    /// `Retry-After`, ...). Several values of one name are all sent.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner.headers.push((name, value));
        self
    }

    /// The response status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The stable machine-readable code, e.g. `"not_found"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.inner.code
    }

    /// The message given with [`message`](Error::message), if any.
    #[must_use]
    pub fn message_opt(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The human-readable message: the one given, or the status's reason
    /// phrase (`"Not Found"`) when none was.
    #[must_use]
    pub fn detail(&self) -> &str {
        self.inner
            .message
            .as_deref()
            .unwrap_or_else(|| self.title())
    }

    /// The status's reason phrase (problem+json's `title`), `"Error"` for a
    /// status without one.
    #[must_use]
    pub fn title(&self) -> &'static str {
        self.inner.status.canonical_reason().unwrap_or("Error")
    }

    /// The field the error is about, as a JSON pointer.
    #[must_use]
    pub fn pointer(&self) -> Option<&str> {
        self.inner.pointer.as_deref()
    }

    /// The field errors (validation failures), in the order found.
    #[must_use]
    pub fn field_errors(&self) -> &[FieldError] {
        &self.inner.errors
    }

    /// The headers the response carries.
    #[must_use]
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.inner.headers
    }

    /// `404 Not Found`, code `not_found`.
    pub fn not_found() -> Self {
        Error::new(StatusCode::NOT_FOUND, code::NOT_FOUND)
    }

    /// `400 Bad Request`, code `bad_request`, with a message.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::BAD_REQUEST, code::BAD_REQUEST).message(message)
    }

    /// `401 Unauthorized`, code `unauthorized`. Add a `WWW-Authenticate`
    /// challenge with [`header`](Error::header) (RFC 9110 requires one).
    pub fn unauthorized() -> Self {
        Error::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED)
    }

    /// `403 Forbidden`, code `forbidden`.
    pub fn forbidden() -> Self {
        Error::new(StatusCode::FORBIDDEN, code::FORBIDDEN)
    }

    /// `409 Conflict`, code `conflict`.
    pub fn conflict() -> Self {
        Error::new(StatusCode::CONFLICT, code::CONFLICT)
    }

    /// `503 Service Unavailable`, code `unavailable`, with `Retry-After: 1`:
    /// a dependency (database, Redis) is down for now.
    pub fn unavailable() -> Self {
        Error::new(StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE)
            .header(http::header::RETRY_AFTER, HeaderValue::from_static("1"))
    }

    /// `500 Internal Server Error`, code `internal`, with a generic message:
    /// what went wrong belongs in the log, not in the response.
    pub fn internal() -> Self {
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL)
            .message("the server failed to handle the request")
    }

    /// `422 Unprocessable Content`, code `validation_failed`, listing every
    /// failing field.
    pub fn validation_failed(errors: impl IntoIterator<Item = FieldError>) -> Self {
        Error::new(StatusCode::UNPROCESSABLE_ENTITY, code::VALIDATION_FAILED)
            .message("the data failed validation; `errors` lists every failing field")
            .field_errors_from(errors)
    }
}

/// A status alone becomes an error with the code kiln uses for it
/// ([`code::for_status`]) and no message.
impl From<StatusCode> for Error {
    fn from(status: StatusCode) -> Self {
        Error::new(status, code::for_status(status))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("status", &i.status.as_u16()).field("code", &i.code);
        if let Some(m) = &i.message {
            d.field("message", m);
        }
        if let Some(p) = &i.pointer {
            d.field("pointer", p);
        }
        if !i.errors.is_empty() {
            d.field("errors", &i.errors);
        }
        if !i.headers.is_empty() {
            d.field("headers", &i.headers);
        }
        d.finish()
    }
}

/// `{status} {code}: {detail}`, e.g. `404 not_found: Not Found`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.inner.status.as_u16(),
            self.inner.code,
            self.detail()
        )?;
        if let Some(p) = self.pointer() {
            write!(f, " (at {p})")?;
        }
        for e in self.field_errors() {
            write!(f, "; {}: {}", e.pointer, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// One failing field: where (a JSON pointer), what is wrong, and optionally
/// a stable code for the rule that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a JSON pointer (RFC 6901): `"/items/3/name"`; `""` is
    /// the whole value.
    pub pointer: Cow<'static, str>,
    /// What is wrong, for a person.
    pub message: Cow<'static, str>,
    /// The rule that failed, when known (`"length"`, `"email"`, ...).
    pub code: Option<&'static str>,
}

impl FieldError {
    /// A field error without a code.
    pub fn new(
        pointer: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        FieldError {
            pointer: pointer.into(),
            message: message.into(),
            code: None,
        }
    }

    /// Sets the code of the rule that failed.
    #[must_use]
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pointer_wide() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<(), Error>>(), size_of::<usize>());
    }

    #[test]
    fn detail_defaults_to_the_title() {
        let e = Error::not_found();
        assert_eq!(e.detail(), "Not Found");
        assert_eq!(e.message_opt(), None);
        let e = e.message("no todo 7");
        assert_eq!(e.detail(), "no todo 7");
        assert_eq!(e.to_string(), "404 not_found: no todo 7");
    }

    #[test]
    fn validation_lists_fields() {
        let e = Error::validation_failed([
            FieldError::new("/a", "too short"),
            FieldError::new("/b/0", "not an email").code("email"),
        ]);
        assert_eq!(e.field_errors().len(), 2);
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e.to_string()
                .ends_with("; /a: too short; /b/0: not an email")
        );
    }

    #[test]
    fn from_status() {
        let e = Error::from(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code(), "rate_limited");
        assert_eq!(Error::from(StatusCode::IM_A_TEAPOT).code(), "client_error");
    }
}
