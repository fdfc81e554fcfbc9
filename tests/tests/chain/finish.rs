//! Finish steps: a request-scoped value declared `#[provider(finish)]` is
//! finished once, with the response, at the onion position mirroring where it
//! was built, on every way out: success, a handler's `Err`, a short-circuit
//! or an extractor rejection after it was built, a failing provider built
//! after it, a `wrap` that times out or catches a panic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln::builtin::{CatchPanic, Timeout};
use kiln::prelude::*;

/// What happened, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// A value with a finish step, like a transaction: it records how it ended.
struct Unit {
    log: Log,
    name: &'static str,
    touched: bool,
}

impl Finish for Unit {
    async fn finish(self, res: &mut Response) {
        tokio::task::yield_now().await;
        let how = if res.status().is_success() {
            "commit"
        } else {
            "rollback"
        };
        self.log.push(format!(
            "finish {} {how} {} touched={}",
            self.name,
            res.status().as_u16(),
            self.touched
        ));
        // A failed commit replaces the response.
        if res.headers().contains_key("x-fail-commit") {
            *res = StatusCode::CONFLICT.into_response();
        }
    }
}

#[provider(finish)]
async fn unit(log: &Log) -> Unit {
    tokio::task::yield_now().await;
    log.push("build unit");
    Unit {
        log: log.clone(),
        name: "unit",
        touched: false,
    }
}

/// Built only for the handler: after its extractors.
struct Late(Unit);

impl Finish for Late {
    async fn finish(self, res: &mut Response) {
        self.0.finish(res).await;
    }
}

#[provider(finish)]
fn late(log: &Log) -> Late {
    log.push("build late");
    Late(Unit {
        log: log.clone(),
        name: "late",
        touched: false,
    })
}

/// Fails when asked to, after `unit` was built.
struct Second;

#[provider]
fn second(log: &Log, req: &Request) -> Result<Second, StatusCode> {
    if req.headers().contains_key("x-second-fails") {
        log.push("second fails");
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(Second)
}

#[middleware(priority = 10, post_route)]
fn outer(log: &Log, res: &mut Response) {
    log.push(format!("outer post {}", res.status().as_u16()));
}

/// Takes the value first: it is built before this middleware.
#[middleware(priority = 20, pre_route)]
fn touch(log: &Log, unit: &mut Unit) {
    unit.touched = true;
    log.push("touch pre");
}

#[middleware(priority = 25, pre_route)]
fn deny(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

#[middleware(priority = 30, post_route)]
fn inner(log: &Log, res: &mut Response) {
    log.push(format!("inner post {}", res.status().as_u16()));
}

#[handler]
fn save(log: &Log, unit: &Unit, Query(q): Query<Flags>) -> Result<Response, StatusCode> {
    log.push(format!("handler touched={}", unit.touched));
    if q.err.is_some() {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut res = "ok".into_response();
    if q.fail_commit.is_some() {
        res.headers_mut()
            .insert("x-fail-commit", http::HeaderValue::from_static("1"));
    }
    Ok(res)
}

#[derive(serde::Deserialize)]
struct Flags {
    err: Option<u8>,
    fail_commit: Option<u8>,
}

#[derive(serde::Deserialize)]
struct Body {
    n: u32,
}

#[handler]
fn late_write(log: &Log, late: &mut Late, Json(body): Json<Body>) -> String {
    late.0.touched = true;
    log.push(format!("late handler {}", body.n));
    "late".to_owned()
}

#[handler]
fn two(unit: &Unit, _second: &Second) -> &'static str {
    if unit.touched { "both" } else { "two" }
}

#[handler]
async fn slow(_late: &Late) -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

#[handler]
async fn boom(_late: &Late) -> &'static str {
    tokio::task::yield_now().await;
    panic!("boom")
}

chain! {
    struct App;
    singletons { log: Log, timeout: Timeout, catch: CatchPanic }
    request { unit, late, second }
    middleware { outer, touch, deny, inner }
    routes {
        POST "/write" => save,
        POST "/late" => late_write,
        POST "/two" => two,
        GET "/slow" => slow with [kiln::builtin::Timeout],
        GET "/boom" => boom with [kiln::builtin::CatchPanic],
        GET "/slow_inside" => slow with [kiln::builtin::Timeout(priority = 22)],
        GET "/nothing" => nothing,
    }
}

#[handler]
fn nothing() -> &'static str {
    "nothing"
}

fn app() -> (TestClient<App>, Log) {
    let log = Log::default();
    let app = App::new(AppSingletons {
        log: log.clone(),
        timeout: Timeout::new(Duration::from_millis(30)).unwrap(),
        catch: CatchPanic::new(),
    });
    (TestClient::new(app), log)
}

#[tokio::test]
async fn success_finishes_between_the_inner_and_outer_post_hooks() {
    let (c, log) = app();
    let res = c.post("/write").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "handler touched=true",
            "inner post 200",
            "finish unit commit 200 touched=true",
            "outer post 200",
        ]
    );
}

#[tokio::test]
async fn a_handler_err_is_finished_with_the_error_response() {
    let (c, log) = app();
    let res = c.post("/write?err=1").send().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "handler touched=true",
            "inner post 422",
            "finish unit rollback 422 touched=true",
            "outer post 422",
        ]
    );
}

#[tokio::test]
async fn a_short_circuit_inside_finishes_and_skips_only_inner_post_hooks() {
    let (c, log) = app();
    let res = c.post("/write").header("x-deny", "1").send().await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "finish unit rollback 403 touched=true",
            "outer post 403",
        ]
    );
}

#[tokio::test]
async fn an_extractor_rejection_after_the_value_was_built_finishes_it() {
    let (c, log) = app();
    let res = c.post("/write?err=x").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "inner post 400",
            "finish unit rollback 400 touched=true",
            "outer post 400",
        ]
    );
}

#[tokio::test]
async fn a_finish_step_can_replace_the_response() {
    let (c, log) = app();
    let res = c.post("/write?fail_commit=1").send().await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "the client never sees the 200"
    );
    assert_eq!(
        log.take()[4..],
        ["finish unit commit 200 touched=true", "outer post 409"]
    );
}

#[tokio::test]
async fn a_value_only_the_handler_needs_waits_for_its_extractors() {
    let (c, log) = app();
    let res = c
        .post("/late")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let events = log.take();
    assert!(
        !events.iter().any(|e| e.contains("late")),
        "never built: {events:?}"
    );

    let res = c
        .post("/late")
        .header("content-type", "application/json")
        .body(r#"{"n": 7}"#)
        .send()
        .await;
    assert_eq!(res.text(), "late");
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "build late",
            "late handler 7",
            "finish late commit 200 touched=true",
            "inner post 200",
            "finish unit commit 200 touched=true",
            "outer post 200",
        ]
    );
}

#[tokio::test]
async fn a_provider_failing_after_a_value_was_built_finishes_that_value() {
    let (c, log) = app();
    let res = c.post("/two").header("x-second-fails", "1").send().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "second fails",
            "inner post 503",
            "finish unit rollback 503 touched=true",
            "outer post 503",
        ]
    );
}

#[tokio::test]
async fn a_timeout_that_cancels_the_inner_future_still_finishes_what_it_built() {
    let (c, log) = app();
    let res = c.get("/slow").send().await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    // `Timeout` runs outermost, so everything inside it was cancelled,
    // `outer`'s post hook too; both values are finished after it, innermost
    // first.
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "build late",
            "finish late rollback 504 touched=false",
            "finish unit rollback 504 touched=true",
        ]
    );
}

#[tokio::test]
async fn a_caught_panic_still_finishes() {
    let (c, log) = app();
    let res = c.get("/boom").send().await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "build late",
            "finish late rollback 500 touched=false",
            "finish unit rollback 500 touched=true",
        ]
    );
}

#[tokio::test]
async fn a_route_builds_only_what_its_members_and_handler_need() {
    let (c, log) = app();
    assert_eq!(c.get("/nothing").send().await.text(), "nothing");
    let events = log.take();
    // `touch` is global and takes `Unit`, so every route builds and finishes it.
    assert_eq!(events[0], "build unit");
    assert!(
        events.contains(&"finish unit commit 200 touched=true".to_owned()),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| e.contains("late")), "{events:?}");
}

#[test]
fn describe_shows_where_values_are_built_and_finished() {
    let (c, _) = app();
    let d = c.app().describe();
    let unit = d.request.iter().find(|p| p.name == "unit").unwrap();
    assert!(unit.finish);
    assert!(
        !d.request
            .iter()
            .find(|p| p.name == "second")
            .unwrap()
            .finish
    );
    let late = &d.routes[1];
    let scoped: Vec<_> = late
        .request_scoped
        .iter()
        .map(|s| (s.provider, s.before, s.finish))
        .collect();
    assert_eq!(
        scoped,
        [("unit", 1, true), ("late", late.middleware.len(), true)]
    );
    assert!(
        d.to_string().contains("request-scoped, async, finish"),
        "{d}"
    );
}

#[tokio::test]
async fn a_timeout_inside_finishes_before_the_post_hooks_outside_it() {
    let (c, log) = app();
    let res = c.get("/slow_inside").send().await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    // `unit` is built outside the timeout (before `touch`, priority 20) and
    // `late` inside it: `late` is finished right after the timeout returns,
    // `unit` at its own position, and `outer` sees the 504.
    assert_eq!(
        log.take(),
        [
            "build unit",
            "touch pre",
            "build late",
            "finish late rollback 504 touched=false",
            "finish unit rollback 504 touched=true",
            "outer post 504",
        ]
    );
}
