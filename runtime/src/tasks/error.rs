//! [`SpawnError`] (the queue refused a job) and [`BoxError`] (what a job
//! fails with).

use std::fmt;

use http::{HeaderValue, StatusCode, header};

use crate::error::code;
use crate::{IntoResponse, Response};

/// What a job returns on failure: any error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`Tasks::spawn`](super::Tasks::spawn) refused a job. As a response
/// (or a [`kiln::Error`](crate::Error)) it is `503` with `Retry-After: 1`
/// and code `tasks_full` or `tasks_shutting_down`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// As many jobs as the capacity allows exist already.
    Full,
    /// The queue is shutting down and takes no new job.
    ShuttingDown,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpawnError::Full => "the task queue is full",
            SpawnError::ShuttingDown => "the task queue is shutting down",
        })
    }
}

impl std::error::Error for SpawnError {}

impl From<SpawnError> for crate::Error {
    fn from(e: SpawnError) -> Self {
        let code = match e {
            SpawnError::Full => code::TASKS_FULL,
            SpawnError::ShuttingDown => code::TASKS_SHUTTING_DOWN,
        };
        crate::Error::new(StatusCode::SERVICE_UNAVAILABLE, code)
            .message(match e {
                SpawnError::Full => "too much work is queued; try again shortly",
                SpawnError::ShuttingDown => "the server is shutting down; try again shortly",
            })
            .header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }
}

impl IntoResponse for SpawnError {
    fn into_response(self) -> Response {
        crate::Error::from(self).into_response()
    }
}
