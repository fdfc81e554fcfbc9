//! Tower interop: a kiln app mounted in an axum router, and tower-http layers
//! around a kiln app through the boxed `Layered` escape hatch.

use super::support;

use std::time::Duration;

use http_body_util::BodyExt;
use kiln::http::{Request, StatusCode};
use kiln::prelude::*;
use kiln::{App, Layered, ServeConfig};
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

#[handler]
fn hello(Path(name): Path<String>) -> String {
    format!("hello {name}")
}

#[handler]
fn long() -> String {
    "kiln ".repeat(200)
}

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(500)).await;
    "late"
}

#[handler]
fn peer(PeerAddr(addr): PeerAddr) -> String {
    addr.ip().to_string()
}

chain! {
    struct Kiln;
    routes {
        GET "/hello/{name}" => hello,
        GET "/long" => long,
        GET "/slow" => slow,
        GET "/peer" => peer,
    }
}

async fn text(res: http::Response<axum::body::Body>) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn kiln_app_mounted_in_axum() {
    let router: axum::Router = axum::Router::new()
        .route("/axum", axum::routing::get(|| async { "from axum" }))
        .fallback_service(Kiln::new().into_service());
    let req = |uri: &str| Request::get(uri).body(axum::body::Body::empty()).unwrap();
    let res = router.clone().oneshot(req("/axum")).await.unwrap();
    assert_eq!(text(res).await, "from axum");
    let res = router.clone().oneshot(req("/hello/tower")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "hello tower");
    // kiln's own 404 for paths neither knows.
    let res = router.oneshot(req("/nope")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tower_http_layers_around_a_kiln_app() {
    let layered = Layered::new(Kiln::new(), CompressionLayer::new().gzip(true));
    let client = TestClient::new(layered);
    let res = client
        .get("/long")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(
        res.body.len() < 1000,
        "compressed: {} bytes",
        res.body.len()
    );
    let res = client.get("/long").send().await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.body.len(), 1000);

    let timed = Layered::new(
        Kiln::new(),
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_millis(50)),
    );
    let client = TestClient::new(timed);
    assert_eq!(
        client.get("/slow").send().await.status(),
        StatusCode::REQUEST_TIMEOUT
    );
    assert_eq!(client.get("/hello/x").send().await.text(), "hello x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layered_app_is_served_and_keeps_connection_facts() {
    let layered = Layered::new(Kiln::new(), CompressionLayer::new());
    let server = support::start(layered, ServeConfig::default()).await;
    let got = support::once(server.addr, support::get("/peer")).await;
    assert_eq!(
        (got.status, got.body.as_str()),
        (StatusCode::OK, "127.0.0.1")
    );
    server.stop().await;
}
