//! `kiln::builtin::Timeout`: 504 (or 503) when the rest of the chain is too
//! slow, with the middleware outside it still applied.

use std::time::Duration;

use kiln::builtin::{RequestIds, Timeout};
use kiln::prelude::*;

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

#[handler]
async fn quick() -> &'static str {
    tokio::time::sleep(Duration::from_millis(1)).await;
    "quick"
}

#[handler]
fn instant() -> &'static str {
    "instant"
}

chain! {
    struct App;
    singletons { ids: RequestIds, timeout: Timeout }
    middleware { kiln::builtin::RequestIds, kiln::builtin::Timeout }
    routes { GET "/slow" => slow, GET "/quick" => quick, GET "/" => instant }
}

fn client(t: Timeout) -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
        timeout: t,
    }))
}

#[tokio::test]
async fn a_slow_chain_is_answered_504_and_decorated() {
    let c = client(Timeout::new(Duration::from_millis(30)).unwrap());
    let started = std::time::Instant::now();
    let res = c.get("/slow").send().await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        res.header("x-request-id").is_some(),
        "outer post hooks still run"
    );
    assert_eq!(c.get("/quick").send().await.text(), "quick");
    assert_eq!(c.get("/").send().await.text(), "instant");
}

#[tokio::test]
async fn the_status_can_be_503() {
    let t = Timeout::new(Duration::from_millis(10))
        .unwrap()
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .unwrap();
    let res = client(t).get("/slow").send().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}
