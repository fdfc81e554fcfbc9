//! The stable codes of the errors kiln generates, one constant each.
//!
//! A client may branch on them (they are the `code` member of the
//! problem+json body); they do not change between releases. Codes of your
//! own errors are yours to choose: keep them lowercase snake case.

use http::StatusCode;

/// `400`: a malformed request that no more specific code covers.
pub const BAD_REQUEST: &str = "bad_request";
/// `401`: credentials missing, or not of the expected scheme.
pub const UNAUTHORIZED: &str = "unauthorized";
/// `403`: credentials present but not accepted.
pub const FORBIDDEN: &str = "forbidden";
/// `404`: no route matches the path.
pub const NOT_FOUND: &str = "not_found";
/// `405`: the path exists but not for this method (the response carries `Allow`).
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
/// `409`: the request conflicts with the current state.
pub const CONFLICT: &str = "conflict";
/// `413`: the body is larger than the limit.
pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
/// `408`: the request body arrived too slowly (the server's body read
/// timeout, between chunks or in total); the connection is closed.
pub const BODY_TIMEOUT: &str = "body_timeout";
/// `415`: the body's `Content-Type` is not what the extractor reads.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
/// `400`: the body is not JSON (a syntax error, truncated).
pub const INVALID_JSON: &str = "invalid_json";
/// `422`: the body is JSON, but not of the expected shape (a missing field,
/// a wrong type); the error's pointer names the field.
pub const JSON_MISMATCH: &str = "json_mismatch";
/// `422`: a form body that does not fit the expected type.
pub const INVALID_FORM: &str = "invalid_form";
/// `400`: the body could not be read, or is not UTF-8 where text is expected.
pub const INVALID_BODY: &str = "invalid_body";
/// `400`: the query string does not fit the expected type.
pub const INVALID_QUERY: &str = "invalid_query";
/// `400`: a path parameter does not parse, or (`kiln::fs`) a file path that
/// is not a plain list of file names (`..`, `%2f`, `\`, `:`, NUL, ...).
pub const INVALID_PATH: &str = "invalid_path";
/// `400`: a required header is absent.
pub const MISSING_HEADER: &str = "missing_header";
/// `400`: a header is present but malformed.
pub const INVALID_HEADER: &str = "invalid_header";
/// `422`: the request's data failed validation; the error lists every
/// failing field.
pub const VALIDATION_FAILED: &str = "validation_failed";
/// `406`: no representation the client accepts (`Compression`: identity
/// refused and no offered coding accepted).
pub const NOT_ACCEPTABLE: &str = "not_acceptable";
/// `412`: an `If-Match` or `If-Unmodified-Since` precondition failed.
pub const PRECONDITION_FAILED: &str = "precondition_failed";
/// `414`: the request target is too long (`kiln::fs`: a path over 4096
/// bytes, or a file name over 255).
pub const URI_TOO_LONG: &str = "uri_too_long";
/// `416`: no byte of the requested `Range` exists (the response carries
/// `Content-Range: bytes */length`).
pub const RANGE_NOT_SATISFIABLE: &str = "range_not_satisfiable";
/// `426`: the route expects a protocol upgrade (a WebSocket handshake) the
/// request did not ask for; the response carries `Upgrade`.
pub const UPGRADE_REQUIRED: &str = "upgrade_required";
/// `400`: a `multipart/form-data` body that does not parse (no boundary, a
/// malformed part, a part without a name).
pub const INVALID_MULTIPART: &str = "invalid_multipart";
/// `422`: a form field that the rules do not allow (not in the allow-list);
/// the error's pointer names the field.
pub const FIELD_NOT_ALLOWED: &str = "field_not_allowed";
/// `429`: over the rate limit (the response carries `Retry-After` and `RateLimit-*`).
pub const RATE_LIMITED: &str = "rate_limited";
/// `503`: the shared rate limiter (Redis) did not answer and fails closed.
pub const RATE_LIMITER_UNAVAILABLE: &str = "rate_limiter_unavailable";
/// `500`: the server failed (a panic, a bug); details go to the log only.
pub const INTERNAL: &str = "internal";
/// `503`: the service is unavailable for now.
pub const UNAVAILABLE: &str = "unavailable";
/// `504` (or `503`): the request took longer than the timeout.
pub const TIMEOUT: &str = "timeout";
/// `503`: `kiln::tasks` refused a job because its queue is full (the
/// response carries `Retry-After`).
pub const TASKS_FULL: &str = "tasks_full";
/// `503`: `kiln::tasks` refused a job because it is shutting down.
pub const TASKS_SHUTTING_DOWN: &str = "tasks_shutting_down";
/// Any other `4xx` made from a bare status.
pub const CLIENT_ERROR: &str = "client_error";
/// Any other `5xx` (or non-error status) made from a bare status.
pub const SERVER_ERROR: &str = "server_error";

/// The code kiln uses for a bare status (`Error::from(StatusCode)`).
///
/// ```
/// use kiln::{error::code, http::StatusCode};
/// assert_eq!(code::for_status(StatusCode::NOT_FOUND), "not_found");
/// assert_eq!(code::for_status(StatusCode::GONE), "client_error");
/// ```
#[must_use]
pub fn for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => BAD_REQUEST,
        StatusCode::UNAUTHORIZED => UNAUTHORIZED,
        StatusCode::FORBIDDEN => FORBIDDEN,
        StatusCode::NOT_FOUND => NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => METHOD_NOT_ALLOWED,
        StatusCode::NOT_ACCEPTABLE => NOT_ACCEPTABLE,
        StatusCode::CONFLICT => CONFLICT,
        StatusCode::PRECONDITION_FAILED => PRECONDITION_FAILED,
        StatusCode::PAYLOAD_TOO_LARGE => PAYLOAD_TOO_LARGE,
        StatusCode::URI_TOO_LONG => URI_TOO_LONG,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => UNSUPPORTED_MEDIA_TYPE,
        StatusCode::RANGE_NOT_SATISFIABLE => RANGE_NOT_SATISFIABLE,
        StatusCode::UNPROCESSABLE_ENTITY => VALIDATION_FAILED,
        StatusCode::UPGRADE_REQUIRED => UPGRADE_REQUIRED,
        StatusCode::TOO_MANY_REQUESTS => RATE_LIMITED,
        StatusCode::INTERNAL_SERVER_ERROR => INTERNAL,
        StatusCode::SERVICE_UNAVAILABLE => UNAVAILABLE,
        StatusCode::GATEWAY_TIMEOUT => TIMEOUT,
        s if s.is_client_error() => CLIENT_ERROR,
        _ => SERVER_ERROR,
    }
}
