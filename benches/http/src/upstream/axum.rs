//! The axum server of the `async` scenario: the shared [`Calls`] client in
//! `State`, a `502` when a call fails, and `/blocking` through
//! `tokio::task::spawn_blocking`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::{Calls, blocking_work};

fn bad_gateway(why: &str) -> StatusCode {
    tracing::warn!(target: "bench::upstream", "upstream call failed: {why}");
    StatusCode::BAD_GATEWAY
}

async fn concurrent(State(calls): State<Calls>) -> Result<String, StatusCode> {
    calls.concurrent().await.map_err(|e| bad_gateway(&e))
}

async fn sequential(State(calls): State<Calls>) -> Result<String, StatusCode> {
    calls.sequential().await.map_err(|e| bad_gateway(&e))
}

async fn blocking() -> Result<String, StatusCode> {
    tokio::task::spawn_blocking(blocking_work)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

/// The router, calling the upstream named in the environment.
///
/// # Errors
/// When the upstream's address is not set.
pub fn router() -> std::io::Result<Router> {
    Ok(Router::new()
        .route("/concurrent", get(concurrent))
        .route("/sequential", get(sequential))
        .route("/blocking", get(blocking))
        .with_state(Calls::from_env()?))
}
