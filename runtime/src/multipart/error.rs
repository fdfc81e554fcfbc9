//! Why reading a multipart form failed, as the [`Error`] the client gets
//! (the table of causes is in the module docs of `kiln::multipart`).

use http::StatusCode;

use crate::error::{Error, code, escape_pointer_token};

/// The pointer of a form field: `/` and its escaped name.
pub(super) fn pointer(name: &str) -> String {
    format!("/{}", escape_pointer_token(name))
}

/// `400 invalid_multipart`.
pub(super) fn malformed(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(StatusCode::BAD_REQUEST, code::INVALID_MULTIPART).message(message)
}

/// `413 payload_too_large`; the message names the limit.
pub(super) fn too_large(message: String) -> Error {
    Error::new(StatusCode::PAYLOAD_TOO_LARGE, code::PAYLOAD_TOO_LARGE).message(message)
}

/// `413` for the field `name`, over `limit` bytes.
pub(super) fn field_too_large(name: &str, limit: impl std::fmt::Display) -> Error {
    too_large(format!(
        "field `{name}` larger than {limit} bytes (its limit)"
    ))
    .field(pointer(name))
}

/// A server-side failure: logged with its cause, answered with a generic 500.
pub(super) fn storage(what: &str, e: &std::io::Error) -> Error {
    tracing::error!(error = %e, "multipart upload: {what}");
    Error::internal().message("the upload could not be stored")
}

/// The client's error from a multer error; `server_limit` is the route's
/// body limit (its `#[limit(body)]` or the server's), named when it tripped.
pub(super) fn from_multer(e: multer::Error, server_limit: usize) -> Error {
    use multer::Error as E;
    match e {
        E::StreamSizeExceeded { limit } => too_large(format!(
            "multipart body larger than {limit} bytes (the form's `whole_limit`)"
        )),
        E::FieldSizeExceeded { limit, field_name } => {
            field_too_large(field_name.as_deref().unwrap_or(""), limit)
        }
        E::StreamReadFailed(inner) => {
            if inner.is::<http_body_util::LengthLimitError>() {
                too_large(format!(
                    "request body larger than {server_limit} bytes (the route's body limit)"
                ))
            } else if let Some(t) = inner.downcast_ref::<crate::BodyTimeout>() {
                Error::from(*t)
            } else {
                #[cfg(feature = "compression")]
                if let Some(d) = inner.downcast_ref::<crate::builtin::DecompressedTooLarge>() {
                    return Error::from(*d);
                }
                Error::new(StatusCode::BAD_REQUEST, code::INVALID_BODY)
                    .message(format!("failed to read the request body: {inner}"))
            }
        }
        E::UnknownField { field_name } => not_allowed(field_name.as_deref().unwrap_or("")),
        other => malformed(format!("malformed multipart form: {other}")),
    }
}

/// `422 field_not_allowed` for the field `name`.
pub(super) fn not_allowed(name: &str) -> Error {
    Error::new(StatusCode::UNPROCESSABLE_ENTITY, code::FIELD_NOT_ALLOWED)
        .message(format!("field `{name}` is not allowed"))
        .field(pointer(name))
}
