//! The kiln server of `ratelimit-redis`: `GET /` alone, behind `RateLimit`,
//! or behind `RedisRateLimit` (failing closed, so a Redis that does not
//! answer shows as errors instead of as fast unchecked requests).

use kiln::builtin::{Quota, RateLimit, RedisRateLimit, WhenUnavailable};
use kiln::prelude::*;

use super::super::fixtures::HELLO;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::{BURST, Limiter, PERIOD, redis_url};

#[handler]
fn hello() -> &'static str {
    HELLO
}

chain! {
    /// No limiter.
    pub struct Open;
    routes { GET "/" => hello }
}

chain! {
    /// The in-process limiter.
    pub struct Local;
    singletons { limit: RateLimit }
    middleware { kiln::builtin::RateLimit }
    routes { GET "/" => hello }
}

chain! {
    /// The limiter in Redis.
    pub struct Shared;
    singletons { limit: RedisRateLimit }
    middleware { kiln::builtin::RedisRateLimit }
    routes { GET "/" => hello }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn quotas() -> std::io::Result<RateLimit> {
    RateLimit::builder()
        .quota(Quota::with_period(PERIOD).burst(BURST))
        .build()
        .map_err(io)
}

/// Serves `args.limiter`'s app until killed.
///
/// # Errors
/// When Redis cannot be reached or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let (port, limiter) = (args.port, args.limiter);
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?;
        // Spawned so that all the work runs on the worker threads.
        let served = match limiter {
            Limiter::None => tokio::spawn(kiln::serve(Open::new()).listen(listener)),
            Limiter::Local => {
                let app = Local::new(LocalSingletons { limit: quotas()? });
                tokio::spawn(kiln::serve(app).listen(listener))
            }
            Limiter::Redis => {
                // 250 ms, not the default 50: 64 connections share one Redis
                // connection on a loaded 2-core machine; a slow answer is a
                // `503` counted as an error, not a fast unchecked request.
                let limit = RedisRateLimit::builder(quotas()?)
                    .when_unavailable(WhenUnavailable::FailClosed)
                    .timeout(std::time::Duration::from_millis(250))
                    .connect(&redis_url()?)
                    .await
                    .map_err(io)?;
                let app = Shared::new(SharedSingletons { limit });
                tokio::spawn(kiln::serve(app).listen(listener))
            }
        };
        served.await.map_err(io)?
    })?;
    Ok(())
}
