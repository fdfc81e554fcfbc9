//! `ResponseCache` entries expire: after the default TTL, and after a
//! response's own `max-age`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kiln::builtin::ResponseCache;
use kiln::prelude::*;

#[derive(Default)]
struct Runs(AtomicU64);

#[handler]
fn count(runs: &Runs) -> String {
    format!("run {}", runs.0.fetch_add(1, Ordering::SeqCst))
}

#[handler]
fn long_lived(runs: &Runs) -> Response {
    let body = format!("run {}", runs.0.fetch_add(1, Ordering::SeqCst));
    ([(kiln::http::header::CACHE_CONTROL, "max-age=60")], body).into_response()
}

chain! {
    struct Short;
    singletons { cache: ResponseCache, runs: Runs }
    middleware { kiln::builtin::ResponseCache }
    routes {
        GET "/" => count,
        GET "/long" => long_lived,
    }
}

fn app() -> TestClient<Short> {
    let cache = ResponseCache::builder()
        .default_ttl(Duration::from_millis(60))
        .build()
        .unwrap();
    TestClient::new(Short::new(ShortSingletons {
        cache,
        runs: Runs::default(),
    }))
}

#[tokio::test]
async fn the_default_ttl_expires_and_max_age_outlives_it() {
    let c = app();
    assert_eq!(c.get("/").send().await.text(), "run 0");
    assert_eq!(c.get("/long").send().await.text(), "run 1");
    assert_eq!(c.get("/").send().await.text(), "run 0");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let res = c.get("/").send().await;
    assert_eq!(res.text(), "run 2", "expired after the default TTL");
    assert_eq!(res.header("cache-status"), Some("kiln; fwd=miss; stored"));
    assert_eq!(
        c.get("/long").send().await.text(),
        "run 1",
        "max-age=60 still fresh"
    );
}
