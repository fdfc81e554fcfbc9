//! `ResponseCache` with its defaults but a small body bound: hits and
//! misses, `ETag` and 304, what is never stored, `Vary`, tags, and requests
//! with credentials passing through.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use kiln::builtin::ResponseCache;
use kiln::cache::Tagged;
use kiln::http::{StatusCode, header};
use kiln::prelude::*;

/// How many times the handlers ran: a hit does not move it.
#[derive(Default)]
struct Runs(AtomicU64);

impl Runs {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

#[handler]
fn count(runs: &Runs) -> String {
    format!("run {}", runs.next())
}

#[handler]
fn stable() -> &'static str {
    "the same every time"
}

#[handler]
fn no_store(runs: &Runs) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        format!("run {}", runs.next()),
    )
        .into_response()
}

#[handler]
fn private(runs: &Runs) -> Response {
    (
        [(header::CACHE_CONTROL, "private, max-age=60")],
        format!("run {}", runs.next()),
    )
        .into_response()
}

#[handler]
fn cookie(runs: &Runs) -> Response {
    (
        [(header::SET_COOKIE, "session=abc")],
        format!("run {}", runs.next()),
    )
        .into_response()
}

#[handler]
fn by_language(runs: &Runs, req: &Request) -> Response {
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    (
        [(header::VARY, "Accept-Language")],
        format!("{lang} run {}", runs.next()),
    )
        .into_response()
}

#[handler]
fn missing(runs: &Runs) -> (StatusCode, String) {
    (StatusCode::NOT_FOUND, format!("run {}", runs.next()))
}

#[handler]
fn big(runs: &Runs) -> String {
    format!("{} run {}", "x".repeat(8192), runs.next())
}

#[handler]
fn streamed(runs: &Runs) -> Body {
    let chunk = format!("run {}", runs.next());
    Body::from_stream(futures_util::stream::iter([Ok::<_, Infallible>(
        Bytes::from(chunk),
    )]))
}

#[handler]
fn feed(runs: &Runs) -> Tagged<String> {
    Tagged::new(["posts"], format!("feed run {}", runs.next()))
}

#[handler]
fn users(runs: &Runs) -> Tagged<String> {
    Tagged::new(["users"], format!("users run {}", runs.next()))
}

#[handler]
fn publish(cache: &ResponseCache) -> StatusCode {
    cache.invalidate_tag("posts");
    StatusCode::CREATED
}

chain! {
    struct Site;
    singletons { cache: ResponseCache, runs: Runs }
    middleware { kiln::builtin::ResponseCache }
    routes {
        GET "/count" => count,
        GET "/stable" => stable,
        GET "/no-store" => no_store,
        GET "/private" => private,
        GET "/cookie" => cookie,
        GET "/lang" => by_language,
        GET "/missing" => missing,
        GET "/big" => big,
        GET "/stream" => streamed,
        GET "/feed" => feed,
        GET "/users" => users,
        POST "/posts" => publish,
    }
}

fn app() -> TestClient<Site> {
    let cache = ResponseCache::builder().max_body(4096).build().unwrap();
    TestClient::new(Site::new(SiteSingletons {
        cache,
        runs: Runs::default(),
    }))
}

async fn body(c: &TestClient<Site>, path: &str) -> String {
    c.get(path).send().await.text()
}

#[tokio::test]
async fn a_second_get_is_a_hit_with_age_and_cache_status() {
    let c = app();
    let first = c.get("/count?page=1").send().await;
    assert_eq!(first.text(), "run 0");
    assert_eq!(first.header("cache-status"), Some("kiln; fwd=miss; stored"));
    assert!(first.header("etag").is_some());
    let hit = c.get("/count?page=1").send().await;
    assert_eq!(hit.text(), "run 0");
    assert_eq!(hit.status(), StatusCode::OK);
    assert_eq!(hit.header("cache-status"), Some("kiln; hit"));
    assert_eq!(hit.header("age"), Some("0"));
    assert_eq!(hit.header("etag"), first.header("etag"));
    assert_eq!(hit.header("content-type"), first.header("content-type"));
    // Another query is another entry; HEAD shares GET's.
    assert_eq!(body(&c, "/count?page=2").await, "run 1");
    let head = c.head("/count?page=1").send().await;
    assert_eq!(head.header("cache-status"), Some("kiln; hit"));
}

#[tokio::test]
async fn if_none_match_is_answered_304_on_hits_and_on_revalidation() {
    let c = app();
    let first = c.get("/count").send().await;
    let etag = first.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"'), "strong: {etag}");

    let res = c.get("/count").header("if-none-match", &etag).send().await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    assert_eq!(res.text(), "");
    assert_eq!(res.header("cache-status"), Some("kiln; hit"));

    // `no-cache`: the handler runs again (a miss), and its response
    // replaces the stored one; here the body changed, so no 304.
    let res = c
        .get("/count")
        .header("cache-control", "no-cache")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(
        res.header("cache-status"),
        Some("kiln; fwd=request; stored")
    );
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the body changed (run 1), so no 304"
    );
    let new_etag = res.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(res.text(), "run 1");
    // ...and it replaced the stored response.
    assert_eq!(body(&c, "/count").await, "run 1");
    let res = c
        .get("/count")
        .header("if-none-match", "\"other\"")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Revalidating an unchanged response: the handler runs, the tag matches.
    let etag = c
        .get("/stable")
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let res = c
        .get("/stable")
        .header("cache-control", "max-age=0")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        res.header("cache-status"),
        Some("kiln; fwd=request; stored")
    );
    assert_eq!(res.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn no_store_private_and_set_cookie_are_never_stored() {
    let c = app();
    for path in ["/no-store", "/private", "/cookie"] {
        let first = c.get(path).send().await;
        assert_eq!(
            first.header("cache-status"),
            Some("kiln; fwd=miss"),
            "{path}"
        );
        let second = c.get(path).send().await;
        assert_ne!(
            first.text(),
            second.text(),
            "{path} was served from the cache"
        );
        assert_eq!(
            second.header("cache-status"),
            Some("kiln; fwd=miss"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn request_no_store_is_not_stored() {
    let c = app();
    let res = c
        .get("/count")
        .header("cache-control", "no-store")
        .send()
        .await;
    assert_eq!(res.header("cache-status"), Some("kiln; fwd=miss"));
    assert_eq!(body(&c, "/count").await, "run 1", "nothing was stored");
}

#[tokio::test]
async fn large_streamed_and_uncacheable_statuses_are_not_stored() {
    let c = app();
    for path in ["/big", "/stream", "/missing"] {
        let a = body(&c, path).await;
        let b = body(&c, path).await;
        assert_ne!(a, b, "{path} was served from the cache");
    }
}

#[tokio::test]
async fn vary_keys_by_the_named_request_headers() {
    let c = app();
    let lang = |l: &'static str| c.get("/lang").header("accept-language", l);
    assert_eq!(lang("fr").send().await.text(), "fr run 0");
    let en = lang("en").send().await;
    assert_eq!(en.text(), "en run 1");
    assert_eq!(
        en.header("cache-status"),
        Some("kiln; fwd=vary-miss; stored")
    );
    let fr = lang("fr").send().await;
    assert_eq!(fr.text(), "fr run 0");
    assert_eq!(fr.header("cache-status"), Some("kiln; hit"));
    assert_eq!(lang("en").send().await.text(), "en run 1");
    // Without the header: another variant.
    assert_eq!(body(&c, "/lang").await, "none run 2");
    assert_eq!(body(&c, "/lang").await, "none run 2");
}

#[tokio::test]
async fn invalidating_a_tag_drops_its_responses_only() {
    let c = app();
    assert_eq!(body(&c, "/feed").await, "feed run 0");
    assert_eq!(body(&c, "/users").await, "users run 1");
    assert_eq!(body(&c, "/feed").await, "feed run 0");
    let res = c.post("/posts").send().await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.header("cache-status"), Some("kiln; fwd=method"));
    assert_eq!(body(&c, "/feed").await, "feed run 2");
    assert_eq!(body(&c, "/feed").await, "feed run 2");
    assert_eq!(body(&c, "/users").await, "users run 1");
}

#[tokio::test]
async fn requests_with_credentials_pass_through() {
    let c = app();
    assert_eq!(body(&c, "/count").await, "run 0");
    for (name, value) in [
        ("authorization", "Bearer alice"),
        ("cookie", "session=alice"),
    ] {
        let res = c.get("/count").header(name, value).send().await;
        assert_eq!(
            res.header("cache-status"),
            Some("kiln; fwd=bypass"),
            "{name}"
        );
        assert_ne!(
            res.text(),
            "run 0",
            "{name}: served another user's response"
        );
    }
    // ...and what they got was not stored for the others.
    assert_eq!(body(&c, "/count").await, "run 0");
}
