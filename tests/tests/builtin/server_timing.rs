//! `kiln::builtin::ServerTiming`: `Server-Timing: total;dur=<ms>`, appended.

use std::time::Duration;

use kiln::builtin::ServerTiming;
use kiln::prelude::*;

#[handler]
async fn slow() -> Response {
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut res = "ok".into_response();
    res.headers_mut().insert(
        "server-timing",
        kiln::http::HeaderValue::from_static("db;dur=5"),
    );
    res
}

chain! {
    struct App;
    singletons { timing: ServerTiming }
    middleware { kiln::builtin::ServerTiming }
    routes { GET "/" => slow }
}

#[tokio::test]
async fn total_is_appended_after_the_handlers_metrics() {
    let c = TestClient::new(App::new(AppSingletons {
        timing: ServerTiming::new(),
    }));
    let res = c.get("/").send().await;
    let all: Vec<&str> = res
        .headers
        .get_all("server-timing")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], "db;dur=5");
    let ms: f64 = all[1].strip_prefix("total;dur=").unwrap().parse().unwrap();
    assert!((20.0..2000.0).contains(&ms), "{ms}");
    let (_, frac) = all[1].split_once('.').unwrap();
    assert_eq!(frac.len(), 3, "microsecond precision");
    // 404s are timed too.
    let res = c.get("/nope").send().await;
    assert!(
        res.header("server-timing")
            .unwrap()
            .starts_with("total;dur=")
    );
}
