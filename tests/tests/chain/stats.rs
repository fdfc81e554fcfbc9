//! `options { stats }`: counters match the requests sent, short-circuits land
//! where the request stopped, timings are consistent, concurrent requests
//! lose no counts, and the JSON and Prometheus handlers serve them.
// Async middleware and handlers that need no await show async hooks being timed.
#![allow(clippy::unused_async)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::prelude::*;
use kiln::stats::{ChainStats, RouteStats, Timing};

/// Short-circuits with 401 when `x-deny` is present.
#[middleware(priority = 10, pre_route)]
async fn gate(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::UNAUTHORIZED)
    } else {
        Ok(())
    }
}

#[middleware(priority = 0, post_route)]
fn stamp(res: &mut Response) {
    res.headers_mut()
        .insert("x-stamp", kiln::http::HeaderValue::from_static("1"));
}

/// Both hooks: its time is the sum of the two, not the time between them.
struct Timer(Instant);

#[middleware(priority = 5, pre_route, post_route)]
impl Timer {
    fn pre() -> Self {
        std::thread::sleep(Duration::from_millis(1));
        Timer(Instant::now())
    }
    fn post(&self, res: &mut Response) {
        std::thread::sleep(Duration::from_millis(1));
        let inner = self.0.elapsed().as_micros().to_string();
        res.headers_mut()
            .insert("x-inner-us", inner.parse().unwrap());
    }
}

/// Only on `/admin`: lets `x-admin` through.
#[middleware(priority = 20, pre_route)]
fn admin_only(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-admin") {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

#[handler]
async fn hello() -> &'static str {
    "hello"
}

#[handler]
fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

chain! {
    struct Counted;
    middleware { stamp, gate }
    routes {
        GET "/" => hello,
        GET "/users/{id}" => user,
        GET "/admin/metrics" => kiln::stats::prometheus with [admin_only],
        GET "/admin/stats" => kiln::stats::json with [admin_only],
    }
    options { stats }
}

chain! {
    struct Timed;
    middleware { Timer }
    routes { GET "/" => hello }
    options { stats }
}

fn route<'s>(stats: &'s ChainStats, pattern: &str) -> &'s RouteStats {
    stats
        .routes
        .iter()
        .find(|r| r.pattern == Some(pattern))
        .unwrap_or_else(|| panic!("no route {pattern}"))
}

/// The invariants every counter keeps once requests have finished.
fn consistent(t: &Timing, what: &str) {
    assert_eq!(
        t.buckets.iter().sum::<u64>(),
        t.executions,
        "{what}: buckets"
    );
    match t.mean_ns() {
        None => assert_eq!((t.min_ns, t.max_ns, t.total_ns), (0, 0, 0), "{what}"),
        Some(mean) => {
            #[allow(clippy::cast_precision_loss)]
            let (min, max) = (t.min_ns as f64, t.max_ns as f64);
            assert!(
                min <= mean && mean <= max,
                "{what}: {min} <= {mean} <= {max}"
            );
        }
    }
}

fn all_consistent(stats: &ChainStats) {
    consistent(&stats.total, "total");
    for r in stats.routes.iter().chain([&stats.unmatched]) {
        let name = r.pattern.unwrap_or("unmatched");
        consistent(&r.requests, name);
        consistent(&r.handler.timing, name);
        for m in &r.middleware {
            consistent(&m.timing, m.name);
        }
    }
}

#[tokio::test]
async fn counters_match_requests_sent() {
    let c = TestClient::new(Counted::new());
    for _ in 0..7 {
        assert_eq!(c.get("/").send().await.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        let res = c.get("/").header("x-deny", "1").send().await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.header("x-stamp"), Some("1"), "outer post hook ran");
    }
    assert_eq!(c.get("/users/7").send().await.text(), "user 7");
    // An extractor rejection: the handler does not run.
    assert_eq!(
        c.get("/users/x").send().await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(c.get("/nope").send().await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        c.post("/").send().await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    let s = c.app().stats();
    all_consistent(&s);
    let root = route(&s, "/");
    assert_eq!(root.requests.executions, 10);
    assert_eq!(root.requests.short_circuits, 3);
    let names: Vec<&str> = root.middleware.iter().map(|m| m.name).collect();
    assert_eq!(names, ["stamp", "gate"]);
    let (stamp, gate) = (&root.middleware[0].timing, &root.middleware[1].timing);
    assert_eq!((stamp.executions, stamp.short_circuits), (10, 0));
    assert_eq!((gate.executions, gate.short_circuits), (10, 3));
    assert_eq!(root.handler.name, Some("hello"));
    assert_eq!(
        (
            root.handler.timing.executions,
            root.handler.timing.short_circuits
        ),
        (7, 0)
    );

    let users = route(&s, "/users/{id}");
    assert_eq!(
        (users.requests.executions, users.requests.short_circuits),
        (2, 1)
    );
    assert_eq!(users.middleware[1].timing.executions, 2);
    assert_eq!(
        (
            users.handler.timing.executions,
            users.handler.timing.short_circuits
        ),
        (1, 1),
        "the rejected extraction counts at the handler, which did not run"
    );

    assert_eq!(s.unmatched.requests.executions, 2, "404 and 405");
    assert_eq!(s.unmatched.handler.timing.executions, 2);
    assert_eq!(s.unmatched.middleware.len(), 2, "the global chain");
    assert_eq!(s.total.executions, 14);
    assert_eq!(s.total.short_circuits, 4);
    assert_eq!(route(&s, "/admin/stats").requests.executions, 0);
}

#[tokio::test]
async fn both_hooks_are_timed_together() {
    let c = TestClient::new(Timed::new());
    for _ in 0..3 {
        c.get("/").send().await;
    }
    let s = c.app().stats();
    all_consistent(&s);
    let timer = &s.routes[0].middleware[0];
    assert_eq!(timer.name, "Timer");
    assert_eq!(timer.timing.executions, 3);
    // Two 1 ms sleeps per request, pre and post together.
    assert!(timer.timing.min_ns >= 2_000_000, "{:?}", timer.timing);
    // The route includes its middleware.
    assert!(s.routes[0].requests.min_ns >= timer.timing.min_ns);
    assert!(s.routes[0].requests.total_ns >= timer.timing.total_ns);
}

#[test]
fn concurrent_requests_lose_no_counts() {
    const TASKS: u64 = 8;
    const EACH: u64 = 500;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let c = Arc::new(TestClient::new(Counted::new()));
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let c = Arc::clone(&c);
                tokio::spawn(async move {
                    for i in 0..EACH {
                        // Every fifth request of odd tasks is denied.
                        let deny = t % 2 == 1 && i % 5 == 0;
                        let mut req = c.get("/");
                        if deny {
                            req = req.header("x-deny", "1");
                        }
                        let res = req.send().await;
                        assert_eq!(res.status().is_success(), !deny);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let s = c.app().stats();
    all_consistent(&s);
    let root = route(&s, "/");
    let denied = TASKS / 2 * EACH / 5;
    assert_eq!(root.requests.executions, TASKS * EACH);
    assert_eq!(root.requests.short_circuits, denied);
    assert_eq!(root.middleware[0].timing.executions, TASKS * EACH);
    assert_eq!(root.middleware[1].timing.short_circuits, denied);
    assert_eq!(root.handler.timing.executions, TASKS * EACH - denied);
}

#[tokio::test]
async fn json_route_serves_the_snapshot() {
    let c = TestClient::new(Counted::new());
    c.get("/").send().await;
    c.get("/").header("x-deny", "1").send().await;
    let forbidden = c.get("/admin/stats").send().await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "protected");
    let res = c.get("/admin/stats").header("x-admin", "1").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_str(&res.text()).unwrap();
    assert_eq!(v["app"], "Counted");
    let root = &v["routes"][0];
    assert_eq!(root["pattern"], "/");
    assert_eq!(root["requests"]["executions"], 2);
    assert_eq!(root["requests"]["short_circuits"], 1);
    assert_eq!(root["middleware"][1]["name"], "gate");
    assert_eq!(root["middleware"][1]["short_circuits"], 1);
    assert!(root["requests"]["mean_ns"].is_number());
    assert_eq!(v["bucket_bounds_ns"][0], 1024);
    // The forbidden read itself was counted on its route.
    let admin = &v["routes"][3];
    assert_eq!(admin["pattern"], "/admin/stats");
    assert_eq!(admin["middleware"][2]["name"], "admin_only");
    assert_eq!(admin["middleware"][2]["short_circuits"], 1);
}

#[tokio::test]
async fn prometheus_route_serves_text_exposition() {
    let c = TestClient::new(Counted::new());
    for _ in 0..4 {
        c.get("/").send().await;
    }
    c.get("/").header("x-deny", "1").send().await;
    c.get("/missing").send().await;
    let res = c.get("/admin/metrics").header("x-admin", "1").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = res.text();
    let root = r#"app="Counted",method="GET",route="/""#;
    for line in [
        "# TYPE kiln_requests_total counter".to_owned(),
        format!("kiln_requests_total{{{root}}} 5"),
        format!("kiln_request_short_circuits_total{{{root}}} 1"),
        "# TYPE kiln_request_duration_seconds histogram".to_owned(),
        format!("kiln_request_duration_seconds_bucket{{{root},le=\"+Inf\"}} 5"),
        format!("kiln_request_duration_seconds_count{{{root}}} 5"),
        format!(
            "kiln_middleware_short_circuits_total{{{root},position=\"2\",middleware=\"gate\",phase=\"pre\"}} 1"
        ),
        format!("kiln_handler_executions_total{{{root},handler=\"hello\"}} 4"),
        r#"kiln_requests_total{app="Counted",method="*",route="<unmatched>"} 1"#.to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // Buckets are cumulative and end at the count.
    let buckets: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with(&format!("kiln_request_duration_seconds_bucket{{{root},")))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), kiln::stats::BUCKETS);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(buckets.last(), Some(&5));
    // Every sample belongs to a family declared just before it.
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().unwrap().to_owned();
        } else if !line.starts_with('#') {
            assert!(line.starts_with(&family), "{line} outside {family}");
        }
    }
}
