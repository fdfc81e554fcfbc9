//! Errors: every handler fails with [`ApiError`] (a [`kiln::Error`]), and
//! [`render`] — the chain's `options { errors = render }` — writes each one,
//! kiln's own rejections included, in RealWorld's shape:
//! `{"errors": {"body": ["email can't be blank"]}}`.

use kiln::FieldError;
use kiln::builtin::JwtIssueError;
use kiln::db::{DbError, DbErrorKind};
use kiln::prelude::*;

/// A handler's error: a `kiln::Error`, with conversions from the database's
/// and the token issuer's errors (`?` works on both).
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) Error);

impl ApiError {
    /// `404`: `"<what> not found"`.
    pub(crate) fn not_found(what: &'static str) -> Self {
        ApiError(
            Error::new(StatusCode::NOT_FOUND, "not_found").message(format!("{what} not found")),
        )
    }

    /// `403`: the user may not change what is someone else's.
    pub(crate) fn forbidden(what: &'static str) -> Self {
        ApiError(
            Error::new(StatusCode::FORBIDDEN, "forbidden")
                .message(format!("only its author may change this {what}")),
        )
    }

    /// `422` on one field: `"username has already been taken"`.
    pub(crate) fn invalid(field: &'static str, message: &'static str) -> Self {
        ApiError(Error::validation_failed([FieldError::new(
            format!("/{field}"),
            message,
        )]))
    }

    /// `401` for a failed login; the message does not say which half was wrong.
    pub(crate) fn bad_credentials() -> Self {
        ApiError(
            Error::new(StatusCode::UNAUTHORIZED, "unauthorized")
                .message("email or password is invalid"),
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(target: "conduit", error = %e, "database error");
        }
        let message = match e.kind() {
            DbErrorKind::Unavailable => "the database is unavailable; retry later",
            DbErrorKind::Conflict => "the request conflicted with a concurrent change; retry it",
            DbErrorKind::NotFound => "not found",
            _ => "the request could not be completed",
        };
        ApiError(Error::from(status).message(message))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<JwtIssueError> for ApiError {
    fn from(e: JwtIssueError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// Whether a database error is a unique violation (a name or email taken by
/// a concurrent request between our check and our insert).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}

/// RealWorld's error body for every error the chain makes: the failing
/// fields (named by the last segment of their pointer) or the message.
pub(crate) fn render(e: &Error) -> Response {
    let body: Vec<String> = if e.field_errors().is_empty() {
        vec![e.detail().to_owned()]
    } else {
        e.field_errors()
            .iter()
            .map(|f| {
                let field = f.pointer.rsplit('/').next().unwrap_or_default();
                format!("{field} {}", f.message)
            })
            .collect()
    };
    Json(serde_json::json!({ "errors": { "body": body } })).into_response()
}
