//! Why reading a multipart form failed, as the 4xx (or 500) the client gets.

use std::fmt;

use http::StatusCode;

use crate::{IntoResponse, Response};

/// A multipart form could not be read; as a response, `status` with
/// `message` as plain text.
///
/// | cause | status |
/// |---|---|
/// | not `multipart/form-data`, or no boundary | 415 / 400 |
/// | malformed form, a field without a name, a body cut short (the client went away) | 400 |
/// | a field not in [`allow_fields`](super::MultipartConfig::allow_fields) | 400 |
/// | a field over its limit, the form over the multipart or the server limit, too many fields | 413, naming the limit |
/// | a content type that [`accept`](super::MultipartConfig::accept) does not list | 415 |
/// | a text field that is not UTF-8 | 400 |
/// | the temporary file or the sink cannot be written | 500 (the cause is logged, not sent) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartError {
    status: StatusCode,
    message: String,
}

impl MultipartError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        MultipartError {
            status,
            message: message.into(),
        }
    }

    pub(super) fn bad(message: impl Into<String>) -> Self {
        MultipartError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(super) fn too_large(message: impl Into<String>) -> Self {
        MultipartError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// A server-side failure: logged with its cause, answered with a generic 500.
    pub(super) fn storage(what: &str, e: &std::io::Error) -> Self {
        tracing::error!(error = %e, "multipart upload: {what}");
        MultipartError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the upload could not be stored",
        )
    }

    /// The status of the response.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, as sent to the client.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for MultipartError {}

impl IntoResponse for MultipartError {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}

/// The client's error from a multer error; `server_limit` is the server's
/// body limit, named when it is the one that tripped.
pub(super) fn from_multer(e: multer::Error, server_limit: usize) -> MultipartError {
    use multer::Error as E;
    match e {
        E::StreamSizeExceeded { limit } => MultipartError::too_large(format!(
            "multipart body larger than {limit} bytes (the form's `whole_limit`)"
        )),
        E::FieldSizeExceeded { limit, field_name } => MultipartError::too_large(format!(
            "field `{}` larger than {limit} bytes",
            field_name.as_deref().unwrap_or("")
        )),
        E::StreamReadFailed(inner) => {
            if inner.is::<http_body_util::LengthLimitError>() {
                MultipartError::too_large(format!(
                    "request body larger than {server_limit} bytes (the server's body limit)"
                ))
            } else {
                MultipartError::bad(format!("failed to read the request body: {inner}"))
            }
        }
        E::UnknownField { field_name } => MultipartError::bad(format!(
            "field `{}` is not allowed",
            field_name.as_deref().unwrap_or("")
        )),
        other => MultipartError::bad(format!("malformed multipart form: {other}")),
    }
}
