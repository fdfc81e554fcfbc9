//! `kiln::builtin::RequestIds`: keep a valid incoming id or generate one,
//! inject `&RequestId`, echo it on every response.

use std::collections::HashSet;

use kiln::builtin::{RequestId, RequestIds};
use kiln::prelude::*;

#[handler]
fn show(id: &RequestId) -> String {
    id.as_str().to_owned()
}

#[middleware(priority = 0, pre_route)]
fn deny(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

chain! {
    struct App;
    singletons { ids: RequestIds }
    middleware { kiln::builtin::RequestIds, deny }
    routes { GET "/" => show }
}

#[tokio::test]
async fn a_valid_incoming_id_is_kept_injected_and_echoed() {
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
    }));
    let res = c
        .get("/")
        .header("x-request-id", "req-42_a.b:c")
        .send()
        .await;
    assert_eq!(res.text(), "req-42_a.b:c");
    assert_eq!(res.header("x-request-id"), Some("req-42_a.b:c"));
}

#[tokio::test]
async fn invalid_incoming_ids_are_replaced() {
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
    }));
    let long = "a".repeat(129);
    for bad in ["has space", "quote\"d", "<script>", "", long.as_str()] {
        let res = c.get("/").header("x-request-id", bad).send().await;
        assert_ne!(res.text(), bad);
        assert_eq!(
            res.text().len(),
            32,
            "{bad:?} was replaced by a generated id"
        );
        assert_eq!(res.header("x-request-id"), Some(res.text().as_str()));
    }
}

#[tokio::test]
async fn generated_ids_are_unique() {
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
    }));
    let mut seen = HashSet::new();
    for _ in 0..500 {
        let id = c.get("/").send().await.text();
        assert_eq!(id.len(), 32);
        assert!(seen.insert(id));
    }
}

#[tokio::test]
async fn short_circuits_and_404s_are_echoed_too() {
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
    }));
    let res = c
        .get("/")
        .header("x-deny", "1")
        .header("x-request-id", "abc")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.header("x-request-id"), Some("abc"));
    let res = c.get("/missing").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("x-request-id").map(str::len), Some(32));
}

#[tokio::test]
async fn untrusted_incoming_ids_and_custom_headers() {
    let ids = RequestIds::builder()
        .header("X-Correlation-Id")
        .trust_incoming(false)
        .build()
        .unwrap();
    let c = TestClient::new(App::new(AppSingletons { ids }));
    let res = c.get("/").header("x-correlation-id", "mine").send().await;
    assert_ne!(res.text(), "mine");
    assert_eq!(res.header("x-correlation-id"), Some(res.text().as_str()));
    assert_eq!(res.header("x-request-id"), None);
}
