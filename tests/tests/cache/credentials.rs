//! `ResponseCache::key_by_credentials`: an authorized route is cached per
//! user, and no user is ever served another's response.

use std::sync::atomic::{AtomicU64, Ordering};

use kiln::builtin::ResponseCache;
use kiln::http::header;
use kiln::prelude::*;

#[derive(Default)]
struct Runs(AtomicU64);

/// The caller's identity, as the response shows it.
#[handler]
fn me(runs: &Runs, req: &Request) -> String {
    let who = req
        .headers()
        .get(header::AUTHORIZATION)
        .or_else(|| req.headers().get(header::COOKIE))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous")
        .to_owned();
    format!("{who} #{}", runs.0.fetch_add(1, Ordering::SeqCst))
}

chain! {
    struct Accounts;
    singletons { cache: ResponseCache, runs: Runs }
    routes { GET "/me" => me with [kiln::builtin::ResponseCache] }
}

fn app() -> TestClient<Accounts> {
    let cache = ResponseCache::builder()
        .key_by_credentials(true)
        .build()
        .unwrap();
    TestClient::new(Accounts::new(AccountsSingletons {
        cache,
        runs: Runs::default(),
    }))
}

#[tokio::test]
async fn each_credential_has_its_own_entry() {
    let c = app();
    let as_user = |name: &'static str, value: &'static str| c.get("/me").header(name, value);
    let alice = as_user("authorization", "Bearer alice").send().await;
    assert_eq!(alice.text(), "Bearer alice #0");
    let bob = as_user("authorization", "Bearer bob").send().await;
    assert_eq!(bob.text(), "Bearer bob #1", "bob must not get alice's page");
    let anon = c.get("/me").send().await;
    assert_eq!(anon.text(), "anonymous #2");
    let cookie = as_user("cookie", "session=alice").send().await;
    assert_eq!(cookie.text(), "session=alice #3");

    // Hits, each for its own user.
    for (name, value, expect) in [
        ("authorization", "Bearer alice", "Bearer alice #0"),
        ("authorization", "Bearer bob", "Bearer bob #1"),
        ("cookie", "session=alice", "session=alice #3"),
    ] {
        let res = as_user(name, value).send().await;
        assert_eq!(res.text(), expect);
        assert_eq!(res.header("cache-status"), Some("kiln; hit"));
    }
    assert_eq!(c.get("/me").send().await.text(), "anonymous #2");
}
