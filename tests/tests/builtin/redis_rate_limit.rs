//! `kiln::builtin::RedisRateLimit` against a real `redis-server` this test
//! starts (and kills, and restarts): two instances share one quota, and a
//! Redis that goes away is answered per the configured mode, then recovered
//! from. Without `redis-server` on the PATH it skips loudly, except in CI
//! (`CI` or `KILN_REQUIRE_SERVICES=1`), where it fails.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln::builtin::{Quota, RateLimit, RedisRateLimit, WhenUnavailable};

use crate::redis_server::Redis;
use kiln::prelude::*;

#[handler]
fn ok() -> &'static str {
    "ok"
}

chain! {
    struct Shared;
    singletons { limit: RedisRateLimit }
    middleware { kiln::builtin::RedisRateLimit }
    routes {
        GET "/" => ok,
        #[limit(rate = Quota::per_hour(2))]
        POST "/login" => ok,
        #[limit(rate = exempt)]
        GET "/health" => ok,
    }
}

async fn instance(url: &str, quota: Quota, mode: WhenUnavailable) -> TestClient<Shared> {
    let quotas = RateLimit::builder().quota(quota).build().unwrap();
    let limit = RedisRateLimit::builder(quotas)
        .when_unavailable(mode)
        .timeout(Duration::from_millis(100))
        .connect(url)
        .await
        .unwrap();
    TestClient::new(Shared::new(SharedSingletons { limit }))
}

fn peer(last: u8) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(198, 51, 100, last), 4000))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_quota() {
    let Some(redis) = Redis::start("two_instances_share_one_quota") else {
        return;
    };
    let quota = Quota::per_minute(50);
    let a = Arc::new(instance(&redis.url(), quota, WhenUnavailable::FailClosed).await);
    let b = Arc::new(instance(&redis.url(), quota, WhenUnavailable::FailClosed).await);
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let c = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            tokio::spawn(async move {
                let res = c.get("/").peer(peer(1)).send().await;
                (
                    res.status(),
                    res.header("ratelimit-limit").map(str::to_owned),
                    res.header("retry-after").is_some(),
                )
            })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        let (status, limit, retry_after) = t.await.unwrap();
        match status {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(limit.as_deref(), Some("50"));
                assert!(retry_after);
            }
            other => panic!("unexpected {other}"),
        }
    }
    // 50 in the burst, plus one refill per 1.2 s while the requests ran.
    assert!((50..=52).contains(&admitted), "admitted {admitted}");
    // Another client has its own bucket; exempt routes are not counted.
    assert_eq!(
        a.get("/").peer(peer(2)).send().await.status(),
        StatusCode::OK
    );
    assert_eq!(
        b.get("/health").peer(peer(1)).send().await.status(),
        StatusCode::OK
    );
    // A route quota is shared by the instances too, and counted apart.
    for c in [&a, &b] {
        assert_eq!(
            c.post("/login").peer(peer(1)).send().await.status(),
            StatusCode::OK
        );
    }
    let res = a.post("/login").peer(peer(1)).send().await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.header("ratelimit-limit"), Some("2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_answered_per_mode_within_the_timeout_then_recovered() {
    let Some(mut redis) = Redis::start("redis_down_is_answered_per_mode") else {
        return;
    };
    let url = redis.url();
    let quota = Quota::per_hour(1000);
    let open = instance(&url, quota, WhenUnavailable::FailOpen).await;
    let closed = instance(&url, quota, WhenUnavailable::FailClosed).await;
    assert_eq!(closed.get("/").send().await.status(), StatusCode::OK);
    closed.app().limit.ping().await.unwrap();

    redis.kill();
    let down = closed.app().limit.ping().await.unwrap_err();
    assert_eq!(
        down.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "readiness fails"
    );
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(open.get("/").send().await.status(), StatusCode::OK);
        let res = closed.get("/").send().await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = res.json();
        assert_eq!(body["code"], "rate_limiter_unavailable");
        assert_eq!(res.header("retry-after"), Some("1"));
        // Bounded by the 100 ms timeout (twice, one per instance): never a hang.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    let port = redis.port;
    drop(redis);
    let _redis = Redis::on(port, "redis_down_is_answered_per_mode").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if closed.get("/").send().await.status() == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
