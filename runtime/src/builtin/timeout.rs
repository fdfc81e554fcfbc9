//! Timeout: answer `504` (or `503`) when the rest of the chain takes too long,
//! cancelling it.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use http::StatusCode;

use super::ConfigError;
use crate::error::{Error, code};
use crate::{IntoResponse, Next, Response, middleware};

/// The timeout middleware: when the middleware inside it and the handler have
/// not produced a response within the duration, drops them (cancelling their
/// work at its next `.await`) and answers `504 Gateway Timeout`, or `503
/// Service Unavailable` with [`Timeout::with_status`]: an [`Error`] with code
/// `timeout`.
///
/// A response produced without ever waiting (the common case for fast
/// handlers) never touches the timer; the deadline starts when the rest of the
/// chain first waits. Synchronous work cannot be interrupted, so a handler
/// that blocks without awaiting is not bounded by it. Needs a tokio runtime
/// with its time driver (`#[tokio::main]`, `#[tokio::test]` and
/// [`serve`](crate::serve) have one).
///
/// Default priority -50: inside the access log, security headers and CORS, so
/// a 504 is logged and carries their headers.
///
/// ```
/// use std::time::Duration;
/// use kiln::prelude::*;
/// use kiln::builtin::Timeout;
///
/// #[handler]
/// async fn slow() -> &'static str {
///     tokio::time::sleep(Duration::from_secs(10)).await;
///     "late"
/// }
///
/// chain! {
///     struct App;
///     singletons { timeout: Timeout }
///     middleware { kiln::builtin::Timeout }
///     routes { GET "/" => slow }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let app = App::new(AppSingletons { timeout: Timeout::new(Duration::from_millis(50)).unwrap() });
/// let res = TestClient::new(app).get("/").send().await;
/// assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    duration: Duration,
    status: StatusCode,
}

impl Timeout {
    /// Answers `504` after `duration`.
    ///
    /// # Errors
    /// A zero duration.
    pub fn new(duration: Duration) -> Result<Self, ConfigError> {
        if duration.is_zero() {
            return Err(ConfigError::new(
                "Timeout",
                "a zero duration times out every request that waits; give a positive duration",
            ));
        }
        Ok(Timeout {
            duration,
            status: StatusCode::GATEWAY_TIMEOUT,
        })
    }

    /// Answers with `status` instead of `504`.
    ///
    /// # Errors
    /// A status other than `503 Service Unavailable` or `504 Gateway Timeout`.
    pub fn with_status(mut self, status: StatusCode) -> Result<Self, ConfigError> {
        if !matches!(
            status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
        ) {
            return Err(ConfigError::new(
                "Timeout",
                format!("a timeout answers `503` or `504`, not `{status}`"),
            ));
        }
        self.status = status;
        Ok(self)
    }

    /// The duration.
    #[must_use]
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

#[middleware(priority = -50, wrap)]
impl Timeout {
    /// Runs the rest of the chain within the duration.
    pub async fn wrap(&self, next: Next<'_>) -> Response {
        let mut next = next;
        // One poll without a timer: a response that is ready at once costs nothing more.
        let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut next).poll(cx))).await;
        if let Poll::Ready(res) = first {
            return res;
        }
        match tokio::time::timeout(self.duration, next).await {
            Ok(res) => res,
            Err(_) => {
                tracing::debug!(target: "kiln::timeout", timeout_ms = u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX), "request timed out");
                Error::new(self.status, code::TIMEOUT)
                    .message("the request took longer than the server allows")
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked() {
        assert!(Timeout::new(Duration::ZERO).is_err());
        let t = Timeout::new(Duration::from_secs(1)).unwrap();
        assert!(t.with_status(StatusCode::SERVICE_UNAVAILABLE).is_ok());
        let e = t.with_status(StatusCode::OK).unwrap_err();
        assert!(e.message().contains("`503` or `504`"), "{e}");
    }
}
