//! [`DbError`]: what went wrong with the database, and the response a client
//! sees for it. The driver's message and the SQL stay in the log.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::{HeaderValue, StatusCode, header};

use crate::{IntoResponse, Response};

/// What kind of database failure a [`DbError`] is; decides its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// The database cannot be reached or cannot take the work now: the pool
    /// stayed exhausted for the acquire timeout, the server is down or
    /// refusing connections, the SQLite file is locked by another process
    /// past the busy timeout, read-only, or full. `503` with `Retry-After`.
    Unavailable,
    /// The transaction lost a race with a concurrent one (a serialization
    /// failure or a deadlock) and may succeed if retried. `409`.
    Conflict,
    /// A unique or primary-key constraint rejected the write: `500` unless
    /// the caller said what it means ([`DbResultExt::on_unique`]), or `409`
    /// when it happened at commit.
    UniqueViolation,
    /// A foreign-key constraint rejected the write: `500` unless the caller
    /// said what it means ([`DbResultExt::on_foreign_key`]).
    ForeignKeyViolation,
    /// A row the query expected was not there (`fetch_one` found nothing).
    /// `404`.
    NotFound,
    /// A builder setting or URL that cannot work. A startup error.
    Config,
    /// A migration failed. A startup error.
    Migration,
    /// Anything else: a bug in a query, a type mismatch, a broken protocol.
    /// `500`.
    Other,
}

/// A database failure, as a value a handler can return with `?`.
///
/// Converts from [`sqlx::Error`], classifying it by kind, and implements
/// [`IntoResponse`]: the client gets a status and a fixed message chosen by
/// the kind, never the driver's message or the SQL, which go to the log
/// (`tracing`, target `kiln::db`) when the response is built. Its
/// [`Display`](fmt::Display) is for operators and includes the cause.
///
/// The body is kiln's [problem+json](crate::Error), with `code` and a fixed
/// `detail` per kind:
///
/// | kind | status | `code` |
/// |---|---|---|
/// | [`Unavailable`](DbErrorKind::Unavailable) | `503`, `Retry-After: 1` | `db_unavailable` |
/// | [`Conflict`](DbErrorKind::Conflict), or a unique violation at commit | `409` | `db_conflict` |
/// | [`UniqueViolation`](DbErrorKind::UniqueViolation) after [`on_unique`](DbResultExt::on_unique) | `409` | `unique_violation` |
/// | [`ForeignKeyViolation`](DbErrorKind::ForeignKeyViolation) after [`on_foreign_key`](DbResultExt::on_foreign_key) | `422` | `foreign_key_violation` |
/// | [`NotFound`](DbErrorKind::NotFound) | `404` | `not_found` |
/// | anything else | `500` | `db_error` |
pub struct DbError(Box<Inner>);

/// Boxed: a `Result<T, DbError>` stays small on the success path.
struct Inner {
    kind: DbErrorKind,
    /// What the client is told instead of the default, when the caller opted
    /// in (`on_unique`, `on_foreign_key`).
    public: Option<Public>,
    /// What happened, for the log and `Display`.
    detail: Cow<'static, str>,
    source: Option<sqlx::Error>,
}

#[derive(Debug)]
struct Public {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
}

/// How long a client is told to wait before retrying a `503`.
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl DbError {
    pub(crate) fn new(kind: DbErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        DbError(Box::new(Inner {
            kind,
            public: None,
            detail: detail.into(),
            source: None,
        }))
    }

    pub(crate) fn config(detail: impl Into<Cow<'static, str>>) -> Self {
        DbError::new(DbErrorKind::Config, detail)
    }

    /// Wraps a driver error with what kiln was doing (`"commit"`).
    pub(crate) fn during(doing: &'static str, source: sqlx::Error) -> Self {
        let mut e = DbError::from(source);
        e.0.detail = doing.into();
        e
    }

    /// What a failed commit answers: `409` for a race lost to a concurrent
    /// transaction (a serialization failure, or a unique violation: two
    /// requests inserting one key), `500` for everything else. Not `503`
    /// even when the connection dropped: the commit may have happened, so
    /// the client is not invited to retry blindly.
    pub(crate) fn commit(source: sqlx::Error) -> Self {
        let mut e = DbError::during("commit", source);
        e.0.kind = match e.0.kind {
            DbErrorKind::UniqueViolation | DbErrorKind::Conflict => DbErrorKind::Conflict,
            _ => DbErrorKind::Other,
        };
        e
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> DbErrorKind {
        self.0.kind
    }

    /// The driver's error, when there is one.
    #[must_use]
    pub fn sqlx(&self) -> Option<&sqlx::Error> {
        self.0.source.as_ref()
    }

    /// The constraint a unique or foreign-key violation names, when the
    /// driver reports one (Postgres does; SQLite does not).
    #[must_use]
    pub fn constraint(&self) -> Option<&str> {
        self.0
            .source
            .as_ref()
            .and_then(sqlx::Error::as_database_error)
            .and_then(|d| d.constraint())
    }

    /// The status the client gets.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.public_parts().0
    }

    /// The status, the stable code and the message the client gets.
    fn public_parts(&self) -> (StatusCode, &'static str, &str) {
        if let Some(p) = &self.0.public {
            return (p.status, p.code, &p.message);
        }
        match self.0.kind {
            DbErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "db_unavailable",
                "the database is unavailable; retry later",
            ),
            DbErrorKind::Conflict => (
                StatusCode::CONFLICT,
                "db_conflict",
                "the request conflicted with a concurrent change; retry it",
            ),
            DbErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found"),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "db_error",
                "the request could not be completed",
            ),
        }
    }

    fn opt_in(
        mut self,
        kind: DbErrorKind,
        status: StatusCode,
        code: &'static str,
        message: Cow<'static, str>,
    ) -> Self {
        if self.0.kind == kind {
            self.0.public = Some(Public {
                status,
                code,
                message,
            });
        }
        self
    }
}

/// Where a driver error belongs.
fn classify(e: &sqlx::Error) -> DbErrorKind {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            DbErrorKind::Unavailable
        }
        sqlx::Error::RowNotFound => DbErrorKind::NotFound,
        sqlx::Error::Database(d) => match d.kind() {
            sqlx::error::ErrorKind::UniqueViolation => DbErrorKind::UniqueViolation,
            sqlx::error::ErrorKind::ForeignKeyViolation => DbErrorKind::ForeignKeyViolation,
            _ => classify_code(d.as_ref()),
        },
        _ => DbErrorKind::Other,
    }
}

/// Classifies by the backend's error code.
#[allow(unused_variables)] // with neither backend compiled in
fn classify_code(d: &dyn sqlx::error::DatabaseError) -> DbErrorKind {
    #[cfg(feature = "sqlite")]
    if let Some(e) = d.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        return super::sqlite::classify(e);
    }
    #[cfg(feature = "postgres")]
    if let Some(e) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return super::postgres::classify(e.code());
    }
    DbErrorKind::Other
}

impl From<sqlx::Error> for DbError {
    fn from(source: sqlx::Error) -> Self {
        DbError(Box::new(Inner {
            kind: classify(&source),
            public: None,
            detail: "query".into(),
            source: Some(source),
        }))
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.kind, &self.0.source) {
            (DbErrorKind::Config | DbErrorKind::Migration, None) => f.write_str(&self.0.detail),
            (_, Some(e)) => write!(
                f,
                "database error ({:?}) in {}: {e}",
                self.0.kind, self.0.detail
            ),
            (_, None) => write!(f, "database error ({:?}): {}", self.0.kind, self.0.detail),
        }
    }
}

impl fmt::Debug for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbError")
            .field("kind", &self.0.kind)
            .field("detail", &self.0.detail)
            .field("source", &self.0.source)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_ref().map(|e| e as _)
    }
}

impl DbError {
    /// What the client gets, as kiln's one error shape; logs the detail
    /// (only the log sees it).
    fn to_public(&self) -> crate::Error {
        let (status, code, message) = self.public_parts();
        if status.is_server_error() {
            if self.0.kind == DbErrorKind::Unavailable {
                tracing::warn!(target: "kiln::db", error = %self, "database unavailable");
            } else {
                tracing::error!(target: "kiln::db", error = %self, "database error");
            }
        } else {
            tracing::debug!(target: "kiln::db", error = %self, "database error answered {status}");
        }
        let error = crate::Error::new(status, code).message(message.to_owned());
        if self.0.kind == DbErrorKind::Unavailable && self.0.public.is_none() {
            error.header(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER.as_secs()),
            )
        } else {
            error
        }
    }
}

/// A [`kiln::Error`](crate::Error) (problem+json) with the status, code and
/// message in the table on [`DbError`]; `503` carries `Retry-After`.
impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        self.to_public().into_response()
    }
}

/// For handlers that return `Result<_, kiln::Error>`: `?` on a [`DbError`].
impl From<DbError> for crate::Error {
    fn from(e: DbError) -> Self {
        e.to_public()
    }
}

/// For handlers that return `Result<_, kiln::Error>`: `?` on a query, as
/// [`DbError`] would answer it.
impl From<sqlx::Error> for crate::Error {
    fn from(e: sqlx::Error) -> Self {
        DbError::from(e).to_public()
    }
}

/// Says what a constraint violation means to the client, on the `Result` of a
/// query: `.on_unique("...")?` answers `409`, `.on_foreign_key("...")?`
/// answers `422`, each with your message; any other error passes through
/// unchanged (and still answers as its kind does).
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use kiln::db::{DbErrorKind, DbResultExt};
/// use kiln::db::sqlite::Db;
/// use kiln::prelude::*;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let db = Db::memory().await.unwrap();
/// let mut tx = db.begin().await.unwrap();
/// sqlx::query("CREATE TABLE users (name TEXT UNIQUE)").execute(&mut *tx).await.unwrap();
/// let add = "INSERT INTO users (name) VALUES ('ada')";
/// sqlx::query(add).execute(&mut *tx).await.unwrap();
///
/// let err = sqlx::query(add).execute(&mut *tx).await.on_unique("that name is taken").unwrap_err();
/// assert_eq!(err.kind(), DbErrorKind::UniqueViolation);
/// assert_eq!(err.status(), StatusCode::CONFLICT);
/// let res = err.into_response();
/// assert_eq!(res.headers()["content-type"], "application/problem+json");
/// # });
/// # }
/// ```
pub trait DbResultExt<T> {
    /// A unique or primary-key violation becomes `409 Conflict` with `message`.
    ///
    /// # Errors
    /// The query's error, converted to [`DbError`].
    fn on_unique(self, message: impl Into<Cow<'static, str>>) -> Result<T, DbError>;

    /// A foreign-key violation becomes `422 Unprocessable Content` with `message`.
    ///
    /// # Errors
    /// The query's error, converted to [`DbError`].
    fn on_foreign_key(self, message: impl Into<Cow<'static, str>>) -> Result<T, DbError>;
}

impl<T, E: Into<DbError>> DbResultExt<T> for Result<T, E> {
    fn on_unique(self, message: impl Into<Cow<'static, str>>) -> Result<T, DbError> {
        self.map_err(|e| {
            e.into().opt_in(
                DbErrorKind::UniqueViolation,
                StatusCode::CONFLICT,
                "unique_violation",
                message.into(),
            )
        })
    }

    fn on_foreign_key(self, message: impl Into<Cow<'static, str>>) -> Result<T, DbError> {
        self.map_err(|e| {
            e.into().opt_in(
                DbErrorKind::ForeignKeyViolation,
                StatusCode::UNPROCESSABLE_ENTITY,
                "foreign_key_violation",
                message.into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeout_is_503_with_retry_after() {
        let res = DbError::from(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn other_errors_hide_their_detail() {
        let e = DbError::from(sqlx::Error::Protocol("secret SELECT * FROM users".into()));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(e.to_string().contains("secret"), "operators see it: {e}");
        let public = crate::Error::from(e);
        assert_eq!(public.code(), "db_error");
        assert!(!public.detail().contains("secret"));
    }
}
