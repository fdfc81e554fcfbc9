//! The axum server of `ratelimit-redis`: `GET /` alone or behind
//! tower-governor (in process, keyed by peer IP, as in `middleware`). There
//! is no Redis limiter for axum here: its `limiter=redis` case is a skip.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use super::super::fixtures::HELLO;
use super::super::server::ServeError;
use super::{BURST, Limiter, PERIOD};

/// The router of `limiter`.
///
/// # Errors
/// [`ServeError::Unsupported`] for [`Limiter::Redis`].
///
/// # Panics
/// If the fixed quota is invalid (a bug in this file).
pub fn router(limiter: Limiter) -> Result<Router, ServeError> {
    let open = Router::new().route("/", get(|| async { HELLO }));
    match limiter {
        Limiter::None => Ok(open),
        Limiter::Local => {
            let governor = GovernorConfigBuilder::default()
                .period(PERIOD)
                .burst_size(BURST)
                .finish()
                .expect("a valid governor quota");
            Ok(open.layer(GovernorLayer::new(Arc::new(governor))))
        }
        Limiter::Redis => Err(ServeError::Unsupported(
            "axum has no Redis rate limiter in this harness (tower-governor counts in process)"
                .into(),
        )),
    }
}
