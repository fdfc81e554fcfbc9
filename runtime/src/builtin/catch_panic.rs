//! Catch panic: a panic in the rest of the chain becomes a `500` that says
//! nothing about it, and the middleware outside still run.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::Poll;

use crate::{Error, IntoResponse, Next, Response, middleware};

/// The catch-panic middleware: when a middleware inside it or the handler
/// panics, answers `500 Internal Server Error` ([`Error::internal`](crate::Error::internal):
/// code `internal` and a generic message; nothing about the panic reaches the
/// client) and logs the panic message with `tracing` at `ERROR`, target
/// `kiln::panic`.
///
/// [`serve`](crate::serve) also turns a panic into a 500, but outside the
/// chain; this middleware catches it inside, so the middleware outside it
/// (CORS, request id, access log, security headers) still see and decorate
/// the 500. The process's panic hook still runs as usual (by default it
/// prints the panic to stderr). Costs nothing until something panics.
///
/// Default priority -60.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::CatchPanic;
///
/// #[handler]
/// fn boom() -> &'static str {
///     panic!("secret detail")
/// }
///
/// chain! {
///     struct App;
///     singletons { catch: CatchPanic }
///     middleware { kiln::builtin::CatchPanic }
///     routes { GET "/" => boom }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = TestClient::new(App::new(AppSingletons { catch: CatchPanic::new() })).get("/").send().await;
/// assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert!(!res.text().contains("secret"));
/// assert_eq!(res.json::<serde_json::Value>()["code"], "internal");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct CatchPanic {
    _private: (),
}

impl CatchPanic {
    /// The middleware (it has nothing to configure).
    #[must_use]
    pub fn new() -> Self {
        CatchPanic { _private: () }
    }
}

#[middleware(priority = -60, wrap)]
impl CatchPanic {
    /// Polls the rest of the chain, catching a panic.
    pub async fn wrap(&self, next: Next<'_>) -> Response {
        let mut next = next;
        let caught = std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut next).poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(res)) => Poll::Ready(Ok(res)),
                Err(panic) => Poll::Ready(Err(panic)),
            }
        })
        .await;
        match caught {
            Ok(res) => res,
            Err(panic) => {
                tracing::error!(
                    target: "kiln::panic",
                    panic = message(&*panic),
                    "request panicked; answering 500"
                );
                Error::internal().into_response()
            }
        }
    }
}

fn message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}
