//! Conduit, the RealWorld blog API (<https://github.com/gothinkster/realworld>),
//! on kiln: users and tokens, profiles and follows, articles with tags,
//! favorites and comments, the feed. It shows a real app's worth of kiln:
//! `chain!` with scopes and per-route middleware, `JwtAuth` issuing and
//! verifying typed claims under RealWorld's `Authorization: Token <jwt>`
//! (required on some routes, optional on others), `Cors`, `RateLimit`,
//! `kiln::db` with a request-scoped transaction for every write,
//! `kiln::validate` on every body, and the RealWorld error shape
//! (`{"errors": {"body": [...]}}`) for every error through
//! `options { errors = ... }`. Passwords are argon2id hashes, computed off
//! the request threads.
//!
//! Run: `cargo run -p kiln-examples --example conduit` (add `-- --worker`
//! or `-- --no-worker`, below), then the API is at
//! `http://127.0.0.1:8084/api`. Settings, from the environment:
//!
//! | variable | default | |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://conduit.sqlite` | `postgres://user:pw@host/db` for Postgres |
//! | `CONDUIT_ADDR` | `127.0.0.1:8084` | where to listen |
//! | `CONDUIT_JWT_SECRET` | random per start | HMAC secret (32+ bytes); a random one logs everyone out on restart |
//! | `CONDUIT_RATE_PER_SECOND` | `50` | requests a second per client address (burst: twice that); a load test raises it |
//!
//! ```sh
//! curl -s localhost:8084/api/users -H 'content-type: application/json' \
//!   -d '{"user":{"username":"ada","email":"ada@example.com","password":"lovelace"}}'
//! curl -s localhost:8084/api/articles -H "authorization: Token $TOKEN" -H 'content-type: application/json' \
//!   -d '{"article":{"title":"Hello","description":"first","body":"...","tagList":["kiln"]}}'
//! curl -s 'localhost:8084/api/articles?tag=kiln'
//! ```
//!
//! Beyond the spec (extensions that change no RealWorld response):
//!
//! - **Notifications.** Publishing an article enqueues a durable job in the
//!   same transaction (`kiln::tasks`' outbox: the job exists iff the article
//!   committed); a worker writes one notification per follower of the
//!   author, idempotently (see `notifications.rs`).
//!   `GET /api/notifications` (token required) lists the user's newest 100.
//! - **A worker, in process or apart.** By default the server runs the
//!   worker too; `-- --worker` runs only the worker (no listener) and
//!   `-- --no-worker` only the server, both on the same `DATABASE_URL`, for a
//!   two-process deployment. Ctrl-C stops the worker claiming and drains it.
//! - **Response cache.** Anonymous `GET /api/tags` and `GET /api/articles`
//!   (query string in the key, so each filter and page is its own entry) go
//!   through `kiln::builtin::ResponseCache`, tagged `tags` and `articles`;
//!   every write that changes them (articles created, edited, deleted,
//!   favorited; an author's profile) drops the tags after its commit. A
//!   request with a token is never served from it (its `following` and
//!   `favorited` are the viewer's). `Cache-Status` says what happened.
//!
//! The RealWorld API test collection runs against it with
//! `examples/conduit/run-api-tests.sh` (newman); `cargo test -p
//! kiln-examples --example conduit` runs the in-process tests below.

// Routes with optional auth take the middleware's `Option<Claims>` output the
// way kiln injects every middleware output: by reference.
#![allow(clippy::ref_option)]

mod articles;
mod auth;
mod comments;
mod db;
mod error;
mod model;
mod notifications;
mod profiles;
mod rules;
mod tags;
#[cfg(test)]
mod tests;
mod users;
mod worker;

use std::time::Duration;

use kiln::builtin::{
    Algorithm, ConfigError, Cors, JwtAuth, JwtKey, Quota, RateLimit, ResponseCache,
};
use kiln::prelude::*;
use kiln::tasks::Tasks;
use password_hash::rand_core::{OsRng, RngCore};
use tracing_subscriber::prelude::*;

use crate::auth::{maybe_signed_in, signed_in};
use crate::db::{Database, read, tx};
use crate::error::render;
use crate::worker::{DRAIN, POLL, Role, Stop};

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

chain! {
    struct Conduit;
    singletons {
        db: Database, jwt: JwtAuth, cors: Cors, rate: RateLimit, tasks: Tasks, cache: ResponseCache,
    }
    request { tx, read }
    middleware { kiln::builtin::Cors, kiln::builtin::RateLimit }
    routes {
        scope "/api" {
            POST "/users" => users::register,
            // Password guessing is slower than reading.
            #[limit(rate = Quota::per_minute(30).burst(10))]
            POST "/users/login" => users::login,
            GET "/user" => users::current with [signed_in],
            PUT "/user" => users::update with [signed_in],

            GET "/profiles/{username}" => profiles::get with [maybe_signed_in],
            POST "/profiles/{username}/follow" => profiles::follow with [signed_in],
            DELETE "/profiles/{username}/follow" => profiles::unfollow with [signed_in],

            // Anonymous reads only: a token bypasses the cache.
            GET "/articles" => articles::list with [maybe_signed_in, kiln::builtin::ResponseCache],
            GET "/articles/feed" => articles::feed with [signed_in],
            POST "/articles" => articles::create with [signed_in],
            GET "/articles/{slug}" => articles::get with [maybe_signed_in],
            PUT "/articles/{slug}" => articles::update with [signed_in],
            DELETE "/articles/{slug}" => articles::delete with [signed_in],
            POST "/articles/{slug}/favorite" => articles::favorite with [signed_in],
            DELETE "/articles/{slug}/favorite" => articles::unfavorite with [signed_in],

            GET "/articles/{slug}/comments" => comments::list with [maybe_signed_in],
            POST "/articles/{slug}/comments" => comments::add with [signed_in],
            DELETE "/articles/{slug}/comments/{id}" => comments::delete with [signed_in],

            GET "/tags" => tags::list with [kiln::builtin::ResponseCache],

            // Not in the RealWorld spec: see `notifications.rs`.
            GET "/notifications" => notifications::list with [signed_in],
        }
    }
    options { errors = render }
}

/// The app on `db`, enqueueing jobs through `tasks`, signing tokens with
/// `secret`, letting each client address send `rate` requests a second.
fn app(db: Database, tasks: Tasks, secret: &[u8], rate: u32) -> Result<Conduit, ConfigError> {
    Ok(Conduit::new(ConduitSingletons {
        db,
        tasks,
        // Writes invalidate by tag; the TTL bounds what a missed one could leave.
        cache: ResponseCache::builder()
            .default_ttl(Duration::from_mins(5))
            .max_bytes(16 << 20)
            .build()?,
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, secret))
            .scheme("Token")
            .issuer("conduit")
            .token_lifetime(Duration::from_hours(7 * 24))
            // RealWorld answers 401 for any failed authentication.
            .invalid_token_status(StatusCode::UNAUTHORIZED)
            .build()?,
        // Conduit front ends are served from elsewhere; tokens travel in a header, not cookies.
        cors: Cors::builder()
            .allow_any_origin()
            .allow_any_method()
            .allow_headers(["authorization", "content-type", "x-requested-with"])
            .max_age(Duration::from_mins(10))
            .build()?,
        rate: RateLimit::builder()
            .quota(Quota::per_second(rate).burst(rate.saturating_mul(2)))
            .build()?,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The access log as logfmt lines on stdout (kiln's fast layer), the
    // rest through `fmt`.
    tracing_subscriber::registry()
        .with(kiln::builtin::AccessLogLayer::new(std::io::stdout))
        .with(tracing_subscriber::fmt::layer().with_filter(kiln::builtin::skip_access_log()))
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .init();
    let role = match Role::from_args(std::env::args().skip(1)) {
        Ok(role) => role,
        Err(e) => {
            eprintln!("conduit: {e}");
            std::process::exit(2);
        }
    };
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://conduit.sqlite".into());
    let addr = std::env::var("CONDUIT_ADDR").unwrap_or_else(|_| "127.0.0.1:8084".into());
    let secret = if role.serves() {
        jwt_secret()?
    } else {
        Vec::new()
    };
    // A failed migration stops here, with the migration and statement named.
    let db = Database::open(&url).await?;
    let tasks = Tasks::default();
    let stop = Stop::on_signal();
    let worker = role
        .works()
        .then(|| db.worker(&tasks, notifications::handlers(&db), POLL, None));
    match role {
        Role::Both => tracing::info!(
            "{} database ready; listening on http://{addr}/api, running jobs",
            db.backend()
        ),
        Role::Server => tracing::info!(
            "{} database ready; listening on http://{addr}/api (jobs run elsewhere: --worker)",
            db.backend()
        ),
        Role::Worker => tracing::info!(
            "{} database ready; running jobs only (Ctrl-C stops)",
            db.backend()
        ),
    }
    let conduit = if role.serves() {
        Some(app(db, tasks, &secret, rate_per_second()?)?)
    } else {
        None
    };
    let http = async {
        let served = match conduit {
            Some(conduit) => {
                kiln::serve(conduit)
                    .with_shutdown(stop.fired())
                    .bind(&addr)
                    .await
            }
            None => {
                stop.fired().await;
                Ok(())
            }
        };
        // A server that could not start stops the worker too.
        stop.fire();
        served
    };
    // The worker stops claiming as soon as the signal comes, while the
    // server drains its requests.
    let jobs = async {
        stop.fired().await;
        if let Some(worker) = worker {
            let drained = worker.shutdown(DRAIN).await;
            if drained.complete() {
                tracing::info!("worker stopped; every running job finished");
            } else {
                tracing::warn!(
                    abandoned = drained.abandoned,
                    "worker stopped; unfinished jobs went back to the outbox"
                );
            }
        }
    };
    let (served, ()) = tokio::join!(http, jobs);
    served?;
    Ok(())
}

/// `CONDUIT_RATE_PER_SECOND`, or 50: a benchmark's one client sends far more.
fn rate_per_second() -> Result<u32, Box<dyn std::error::Error>> {
    match std::env::var("CONDUIT_RATE_PER_SECOND") {
        Ok(v) => match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => {
                Err(format!("CONDUIT_RATE_PER_SECOND must be a positive integer, not `{v}`").into())
            }
        },
        Err(_) => Ok(50),
    }
}

/// `CONDUIT_JWT_SECRET`, or a random key for this process only.
fn jwt_secret() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    match std::env::var("CONDUIT_JWT_SECRET") {
        Ok(s) if s.len() >= 32 => Ok(s.into_bytes()),
        Ok(_) => Err("CONDUIT_JWT_SECRET must be at least 32 bytes".into()),
        Err(_) => {
            tracing::warn!(
                "no CONDUIT_JWT_SECRET: tokens are signed with a random key and die with this process"
            );
            let mut key = vec![0; 32];
            OsRng.fill_bytes(&mut key);
            Ok(key)
        }
    }
}
