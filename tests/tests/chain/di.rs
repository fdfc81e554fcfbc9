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
    let c = TestClient::new(Injected::new(InjectedSingletons {
        db: Db {
            clones: AtomicUsize::new(0),
        },
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
    let c = TestClient::new(Injected::new(InjectedSingletons {
        db: Db {
            clones: AtomicUsize::new(0),
        },
    }));
    let res = c.get("/me").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

mod scoped {
    //! Request-scoped, transient and constructed singletons.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use kiln::prelude::*;

    /// Counts constructor calls.
    #[derive(Default)]
    pub(crate) struct Counters {
        pub(crate) session: AtomicUsize,
        pub(crate) stamp: AtomicUsize,
    }

    pub(crate) struct Config {
        pub(crate) greeting: String,
    }

    /// Built by `new` from `Counters`.
    pub(crate) struct Greeter(String);

    #[provider]
    pub(crate) fn greeter(config: &Config) -> Greeter {
        Greeter(config.greeting.clone())
    }

    pub(crate) struct Session {
        pub(crate) user: String,
        pub(crate) touched: u32,
    }

    /// Request-scoped and fallible: a missing `x-user` is a 401.
    #[provider]
    pub(crate) async fn session(req: &Request, counters: &Counters) -> Result<Session, StatusCode> {
        counters.session.fetch_add(1, Ordering::SeqCst);
        let user = req
            .headers()
            .get("x-user")
            .ok_or(StatusCode::UNAUTHORIZED)?;
        Ok(Session {
            user: user.to_str().unwrap_or("?").to_owned(),
            touched: 0,
        })
    }

    /// Transient: built anew for every parameter that takes it.
    pub(crate) struct Stamp;

    #[provider]
    pub(crate) fn stamp(counters: &Counters) -> Stamp {
        counters.stamp.fetch_add(1, Ordering::SeqCst);
        Stamp
    }

    /// Rejects requests carrying `x-stop` before anything needs a session.
    #[middleware(priority = 1, pre_route)]
    pub(crate) fn stop(req: &Request) -> Result<(), StatusCode> {
        if req.headers().contains_key("x-stop") {
            Err(StatusCode::IM_A_TEAPOT)
        } else {
            Ok(())
        }
    }

    /// First consumer of the session; mutates it (exclusive borrow).
    #[middleware(priority = 10, pre_route)]
    pub(crate) fn touch(session: &mut Session, _a: Stamp) {
        session.touched += 1;
    }

    /// Second consumer, on the way out.
    #[middleware(priority = 5, post_route)]
    pub(crate) fn tag(session: &Session, res: &mut Response) {
        let v = kiln::http::HeaderValue::from_str(&session.user).unwrap();
        res.headers_mut().insert("x-session-user", v);
    }

    #[handler]
    pub(crate) fn show(session: &Session, greeter: &Greeter, _b: Stamp, _c: &Stamp) -> String {
        format!("{} {} ({})", greeter.0, session.user, session.touched)
    }

    #[handler]
    pub(crate) fn open() -> &'static str {
        "open"
    }

    chain! {
        pub(crate) struct Scoped;
        singletons { counters: Counters, config: Config, greeter: Greeter = greeter }
        request { session }
        transient { stamp }
        middleware { stop, touch, tag }
        routes { GET "/show" => show }
    }

    chain! {
        pub(crate) struct Lazy;
        singletons { counters: Counters }
        request { session }
        middleware { stop }
        routes { GET "/open" => open }
    }
}

fn scoped_app() -> TestClient<scoped::Scoped> {
    let config = scoped::Config {
        greeting: "hi".into(),
    };
    TestClient::new(scoped::Scoped::new(scoped::ScopedSingletons {
        counters: scoped::Counters::default(),
        config,
    }))
}

#[tokio::test]
async fn request_scoped_is_built_once_per_request_and_shared() {
    let c = scoped_app();
    let res = c.get("/show").header("x-user", "ada").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    // `touch` mutated the one session that `show` and `tag` then saw.
    assert_eq!(res.text(), "hi ada (1)");
    assert_eq!(res.header("x-session-user"), Some("ada"));
    c.get("/show").header("x-user", "bob").send().await;
    // Three consumers per request, one construction per request.
    assert_eq!(c.app().counters().session.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn transient_is_built_per_injection() {
    let c = scoped_app();
    c.get("/show").header("x-user", "ada").send().await;
    // `touch` takes one, `show` takes two.
    assert_eq!(c.app().counters().stamp.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn fallible_provider_error_becomes_the_response() {
    let c = scoped_app();
    let res = c.get("/show").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The session is built before `tag`'s block opens, so `tag` never runs
    // without one; nothing inner ran either.
    assert_eq!(res.header("x-session-user"), None);
}

#[tokio::test]
async fn request_scoped_is_not_built_when_not_needed() {
    let c = scoped_app();
    let res = c.get("/show").header("x-stop", "1").send().await;
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(c.app().counters().session.load(Ordering::SeqCst), 0);
    // A route whose pipeline never takes it never builds it.
    let lazy = TestClient::new(scoped::Lazy::new(scoped::LazySingletons {
        counters: scoped::Counters::default(),
    }));
    assert_eq!(lazy.get("/open").send().await.text(), "open");
    assert_eq!(lazy.app().counters().session.load(Ordering::SeqCst), 0);
}

mod query {
    use kiln::prelude::*;

    #[derive(serde::Deserialize)]
    pub(crate) struct Page {
        pub(crate) page: u32,
    }

    #[handler]
    pub(crate) fn list(Query(p): Query<Page>) -> String {
        format!("page {}", p.page)
    }

    chain! {
        pub(crate) struct Paged;
        routes { GET "/list" => list }
    }
}

#[tokio::test]
async fn query_extractor_parses_and_rejects_with_400() {
    let c = TestClient::new(query::Paged::new());
    assert_eq!(c.get("/list?page=3").send().await.text(), "page 3");
    let bad = c.get("/list?page=x").send().await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text().contains("invalid query string"),
        "{}",
        bad.text()
    );
}

/// Counts the transactions a request opened.
struct Opened(AtomicUsize);

struct Tx;

#[provider]
fn begin(opened: &Opened) -> Tx {
    opened.0.fetch_add(1, Ordering::SeqCst);
    Tx
}

#[derive(serde::Deserialize)]
struct NewThing {
    name: String,
}

#[handler]
fn create_thing(kiln::Json(thing): kiln::Json<NewThing>, _tx: &mut Tx) -> String {
    thing.name
}

chain! {
    struct Things;
    singletons { opened: Opened }
    request { begin }
    routes { POST "/things" => create_thing }
}

/// A request-scoped value only the handler needs is built after the
/// handler's extractors: a body that fails to parse never opens it.
#[tokio::test]
async fn extractors_run_before_the_request_scoped_values_only_the_handler_needs() {
    let c = TestClient::new(Things::new(ThingsSingletons {
        opened: Opened(AtomicUsize::new(0)),
    }));
    let bad = c
        .post("/things")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.app().opened().0.load(Ordering::SeqCst), 0);
    let ok = c
        .post("/things")
        .header("content-type", "application/json")
        .body(r#"{"name":"kiln"}"#)
        .send()
        .await;
    assert_eq!(ok.text(), "kiln");
    assert_eq!(c.app().opened().0.load(Ordering::SeqCst), 1);
}
