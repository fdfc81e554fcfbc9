//! The axum server of the `cache` scenario. axum and tower-http have no
//! response cache, so the cached route is behind the one an axum user
//! writes: a `from_fn_with_state` middleware over a moka cache keyed by
//! path and query, storing `200` responses whole for 60 s (10 000 entries),
//! answering hits with a copy of the stored status, headers and body.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::super::fixtures::HELLO;
use super::{Computed, work};

/// A stored response.
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

type Store = moka::sync::Cache<String, Arc<Stored>>;

/// The hand-written response cache.
async fn response_cache(State(store): State<Store>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let key = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path(), |pq| pq.as_str())
        .to_owned();
    if let Some(hit) = store.get(&key) {
        let mut res = Response::new(Body::from(hit.body.clone()));
        *res.status_mut() = hit.status;
        *res.headers_mut() = hit.headers.clone();
        return res;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let stored = Stored {
        status: parts.status,
        headers: parts.headers.clone(),
        body: body.clone(),
    };
    store.insert(key, Arc::new(stored));
    Response::from_parts(parts, Body::from(body))
}

/// The router: hello, the expensive handler as it is and cached, the counter.
pub fn router() -> Router {
    let computed = Arc::new(Computed::default());
    let store: Store = moka::sync::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(Duration::from_mins(1))
        .build();
    let expensive = {
        let computed = Arc::clone(&computed);
        move || {
            computed.0.fetch_add(1, Ordering::Relaxed);
            async { work() }
        }
    };
    Router::new()
        .route("/hello", get(|| async { HELLO }))
        .route("/uncached", get(expensive.clone()))
        .route(
            "/cached",
            get(expensive).layer(from_fn_with_state(store, response_cache)),
        )
        .route(
            "/computed",
            get(move || {
                let n = computed.0.load(Ordering::Relaxed);
                async move { n.to_string() }
            }),
        )
}
