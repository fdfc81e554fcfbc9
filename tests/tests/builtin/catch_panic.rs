//! `kiln::builtin::CatchPanic`: a panic becomes a bare 500 inside the chain.

use kiln::builtin::{CatchPanic, RequestIds};
use kiln::prelude::*;

#[handler]
fn boom() -> &'static str {
    panic!("database password is hunter2")
}

#[handler]
async fn boom_later() -> &'static str {
    tokio::task::yield_now().await;
    panic!("after an await")
}

#[handler]
fn fine() -> &'static str {
    "fine"
}

chain! {
    struct App;
    singletons { ids: RequestIds, catch: CatchPanic }
    middleware { kiln::builtin::RequestIds, kiln::builtin::CatchPanic }
    routes { GET "/boom" => boom, GET "/later" => boom_later, GET "/" => fine }
}

#[tokio::test]
async fn a_panic_is_a_500_without_details_and_outer_hooks_run() {
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
        catch: CatchPanic::new(),
    }));
    for path in ["/boom", "/later"] {
        let res = c.get(path).send().await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!res.text().contains("hunter2"), "no details leak");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert_eq!(res.json::<serde_json::Value>()["code"], "internal");
        assert!(
            !res.headers
                .iter()
                .any(|(_, v)| v.to_str().unwrap_or("").contains("hunter2"))
        );
        assert!(
            res.header("x-request-id").is_some(),
            "{path}: the request id is still echoed"
        );
    }
    // The app keeps serving.
    assert_eq!(c.get("/").send().await.text(), "fine");
}
