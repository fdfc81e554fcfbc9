//! `Next`: the rest of the chain, as a `wrap` middleware receives it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Response;

/// The rest of the chain (inner middleware and the handler) as a future of
/// its response; a `#[middleware(wrap)]` hook awaits it, or drops it to cancel
/// the rest (a timeout).
///
/// The future lives pinned on the request future's stack; `Next` borrows it
/// (one dynamic call per poll, no allocation).
///
/// ```
/// use std::time::Duration;
/// use kiln::prelude::*;
///
/// /// Answers 504 when the rest of the chain takes longer than the limit.
/// struct Deadline(Duration);
///
/// #[middleware(priority = 5, wrap)]
/// impl Deadline {
///     async fn wrap(&self, next: Next<'_>) -> Response {
///         match tokio::time::timeout(self.0, next).await {
///             Ok(res) => res,
///             Err(_) => StatusCode::GATEWAY_TIMEOUT.into_response(),
///         }
///     }
/// }
///
/// #[handler]
/// async fn slow() -> &'static str {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     "done"
/// }
///
/// chain! {
///     struct App;
///     singletons { deadline: Deadline }
///     middleware { Deadline }
///     routes { GET "/" => slow }
/// }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { deadline: Deadline(Duration::from_millis(10)) }));
/// assert_eq!(client.get("/").send().await.status(), StatusCode::GATEWAY_TIMEOUT);
/// # });
/// ```
pub struct Next<'a>(Pin<&'a mut (dyn Future<Output = Response> + Send + 'a)>);

impl<'a> Next<'a> {
    /// Wraps the pinned rest of the chain; generated code calls it.
    #[doc(hidden)]
    #[must_use]
    pub fn new(fut: Pin<&'a mut (dyn Future<Output = Response> + Send + 'a)>) -> Self {
        Next(fut)
    }
}

impl Future for Next<'_> {
    type Output = Response;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Next")
    }
}
