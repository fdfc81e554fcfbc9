//! Dependency injection: singletons, middleware outputs, extractors.
// Handlers take extractors by value and async middleware need no await: that is the API under test.
#![allow(clippy::needless_pass_by_value, clippy::unused_async)]

use std::sync::atomic::{AtomicUsize, Ordering};

use kiln::prelude::*;

/// Counts how often it is cloned; singletons must never be.
struct Db {
    clones: AtomicUsize,
}

impl Clone for Db {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        Db {
            clones: AtomicUsize::new(0),
        }
    }
}

#[derive(Debug, PartialEq)]
struct User(String);

#[derive(Debug, PartialEq)]
struct Tenant(u32);

/// Provides `User` from the `x-user` header, or rejects with 401.
#[middleware(priority = 10, pre_route)]
fn current_user(req: &Request, _db: &Db) -> Result<User, StatusCode> {
    req.headers()
        .get("x-user")
        .and_then(|v| v.to_str().ok())
        .map(|s| User(s.to_owned()))
        .ok_or(StatusCode::UNAUTHORIZED)
}

/// Needs the output of `current_user`, so it must run after it.
#[middleware(priority = 20, pre_route)]
async fn tenant(user: &User) -> Tenant {
    Tenant(u32::try_from(user.0.len()).unwrap_or(0))
}

#[handler]
fn whoami(user: &User, tenant: &Tenant, method: Method, _db: &Db) -> String {
    format!("{} {} {}", method, user.0, tenant.0)
}

chain! {
    struct Injected;
    singletons { db: Db }
    middleware { tenant, current_user }
    routes { GET "/me" => whoami }
}

#[tokio::test]
async fn outputs_flow_downstream_and_singletons_are_never_cloned() {
    let c = TestClient::new(Injected::new(Db {
        clones: AtomicUsize::new(0),
    }));
    for _ in 0..3 {
        let res = c.get("/me").header("x-user", "ada").send().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text(), "GET ada 3");
    }
    assert_eq!(c.app().db.clones.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_fallible_middleware_error_becomes_the_response() {
    let c = TestClient::new(Injected::new(Db {
        clones: AtomicUsize::new(0),
    }));
    let res = c.get("/me").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
