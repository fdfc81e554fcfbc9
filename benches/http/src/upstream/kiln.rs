//! The kiln server of the `async` scenario: `async` handlers that take the
//! shared [`Calls`] client as a singleton, and `/blocking` on tokio's
//! blocking pool (kiln runs handlers on the runtime's workers, so blocking
//! work goes through `spawn_blocking` as in any tokio app).

use kiln::prelude::*;

use super::{Calls, blocking_work};

/// A failed upstream call: `502` with its own code (the cause goes to the log).
fn bad_gateway(why: &str) -> Error {
    tracing::warn!(target: "bench::upstream", "upstream call failed: {why}");
    Error::new(StatusCode::BAD_GATEWAY, "upstream_failed").message("the upstream call failed")
}

#[handler]
async fn concurrent(calls: &Calls) -> Result<String, Error> {
    calls.concurrent().await.map_err(|e| bad_gateway(&e))
}

#[handler]
async fn sequential(calls: &Calls) -> Result<String, Error> {
    calls.sequential().await.map_err(|e| bad_gateway(&e))
}

#[handler]
async fn blocking() -> Result<String, Error> {
    tokio::task::spawn_blocking(blocking_work)
        .await
        .map_err(|_| Error::internal())
}

chain! {
    /// `async`: the upstream calls both ways and the blocking work.
    pub struct AsyncApp;
    singletons { calls: Calls }
    routes {
        GET "/concurrent" => concurrent,
        GET "/sequential" => sequential,
        GET "/blocking" => blocking,
    }
}

/// The app, calling the upstream named in the environment.
///
/// # Errors
/// When the upstream's address is not set.
pub fn app() -> std::io::Result<AsyncApp> {
    Ok(AsyncApp::new(AsyncAppSingletons {
        calls: Calls::from_env()?,
    }))
}
