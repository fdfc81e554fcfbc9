//! Every built-in in one chain: the documented default order, and responses
//! from every layer (401, 413, 429, 500, 504, 404) decorated by the layers
//! outside it.

// `chain!` generates `new` with one parameter per singleton: ten here.
#![allow(clippy::too_many_arguments)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln::Middleware;
use kiln::builtin::{
    AccessLog, Algorithm, BodyLimit, CatchPanic, Cors, JwtAuth, JwtClaims, JwtKey, Quota,
    RateLimit, RequestIds, SecurityHeaders, ServerTiming, Timeout,
};
use kiln::prelude::*;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

const ORIGIN: &str = "https://app.example";
const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";

#[handler]
fn me(claims: &JwtClaims) -> String {
    claims.sub.clone().unwrap_or_default()
}

#[handler]
fn public() -> &'static str {
    "public"
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn upload(body: bytes::Bytes) -> String {
    body.len().to_string()
}

#[handler]
fn panics() -> &'static str {
    panic!("boom")
}

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

chain! {
    struct Stack;
    singletons {
        cors: Cors, ids: RequestIds, timing: ServerTiming, log: AccessLog,
        security: SecurityHeaders, catch: CatchPanic, timeout: Timeout,
        limit: BodyLimit, rate: RateLimit, jwt: JwtAuth,
    }
    // Listed backwards on purpose: the default priorities order them.
    middleware {
        kiln::builtin::RateLimit, kiln::builtin::BodyLimit, kiln::builtin::Timeout,
        kiln::builtin::CatchPanic, kiln::builtin::SecurityHeaders, kiln::builtin::AccessLog,
        kiln::builtin::ServerTiming, kiln::builtin::RequestIds, kiln::builtin::Cors,
    }
    routes {
        GET "/" => public,
        GET "/me" => me with [kiln::builtin::JwtAuth],
        #[limit(body = 16)]
        POST "/upload" => upload,
        GET "/panic" => panics,
        GET "/slow" => slow,
        #[limit(rate = Quota::per_hour(1))]
        GET "/limited" => public,
    }
}

fn stack() -> Stack {
    Stack::new(StackSingletons {
        cors: Cors::builder().allow_origin(ORIGIN).build().unwrap(),
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_millis(50)).unwrap(),
        limit: BodyLimit,
        rate: RateLimit::builder()
            .quota(Quota::per_second(1000))
            .build()
            .unwrap(),
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .build()
            .unwrap(),
    })
}

#[test]
fn default_priorities_match_the_documented_table() {
    use kiln::builtin as b;
    let table = [
        (b::Cors::NAME, b::Cors::PRIORITY),
        (b::RequestIds::NAME, b::RequestIds::PRIORITY),
        (b::ServerTiming::NAME, b::ServerTiming::PRIORITY),
        (b::AccessLog::NAME, b::AccessLog::PRIORITY),
        (b::SecurityHeaders::NAME, b::SecurityHeaders::PRIORITY),
        (b::CatchPanic::NAME, b::CatchPanic::PRIORITY),
        (b::Timeout::NAME, b::Timeout::PRIORITY),
        (b::BodyLimit::NAME, b::BodyLimit::PRIORITY),
        (b::RateLimit::NAME, b::RateLimit::PRIORITY),
        (b::JwtAuth::NAME, b::JwtAuth::PRIORITY),
    ];
    assert_eq!(
        table,
        [
            ("Cors", -100),
            ("RequestIds", -90),
            ("ServerTiming", -85),
            ("AccessLog", -80),
            ("SecurityHeaders", -70),
            ("CatchPanic", -60),
            ("Timeout", -50),
            ("BodyLimit", -40),
            ("RateLimit", -30),
            ("JwtAuth", -20),
        ]
    );
}

/// Statuses of the `kiln::access` events.
#[derive(Clone, Default)]
struct Statuses(Arc<Mutex<Vec<u64>>>);

struct StatusField<'a>(&'a mut Option<u64>);

impl tracing::field::Visit for StatusField<'_> {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == "status" {
            *self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Statuses {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "kiln::access" {
            let mut status = None;
            event.record(&mut StatusField(&mut status));
            self.0.lock().unwrap().push(status.unwrap_or(0));
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_layers_response_is_decorated_by_the_layers_outside_it() {
    let statuses = Statuses::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(statuses.clone()));
    let c = TestClient::new(stack());
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &serde_json::json!({ "sub": "ada", "exp": 4_000_000_000u64 }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let auth = format!("Bearer {token}");
    let cases = [
        (c.get("/").header("origin", ORIGIN), StatusCode::OK),
        (
            c.get("/me")
                .header("origin", ORIGIN)
                .header("authorization", &auth),
            StatusCode::OK,
        ),
        (
            c.get("/me").header("origin", ORIGIN),
            StatusCode::UNAUTHORIZED,
        ),
        (
            c.post("/upload")
                .header("origin", ORIGIN)
                .header("content-length", "17")
                .body("x".repeat(17)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            c.get("/panic").header("origin", ORIGIN),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            c.get("/slow").header("origin", ORIGIN),
            StatusCode::GATEWAY_TIMEOUT,
        ),
        (
            c.get("/nope").header("origin", ORIGIN),
            StatusCode::NOT_FOUND,
        ),
        (c.get("/limited").header("origin", ORIGIN), StatusCode::OK),
        (
            c.get("/limited").header("origin", ORIGIN),
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ];
    let mut expected = Vec::new();
    for (req, status) in cases {
        let res = req.send().await;
        assert_eq!(res.status(), status);
        let s = status.as_u16();
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{s}: CORS"
        );
        assert_eq!(
            res.header("x-request-id").map(str::len),
            Some(32),
            "{s}: request id"
        );
        assert!(res.header("server-timing").is_some(), "{s}: server timing");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{s}: security headers"
        );
        expected.push(u64::from(s));
    }
    assert_eq!(
        *statuses.0.lock().unwrap(),
        expected,
        "the access log saw every status"
    );
}

#[tokio::test]
async fn the_description_lists_them_in_order() {
    let all = stack().describe().to_string();
    // The pipeline of `GET /` (after the table of singletons).
    let d = &all[all.find("GET / ->").expect("a route section")..];
    let d = &d[..d.find("GET /me").unwrap_or(d.len())];
    let pos = |name: &str| {
        d.find(&format!(" {name} "))
            .unwrap_or_else(|| panic!("{name} not in\n{d}"))
    };
    let order = [
        "Cors",
        "RequestIds",
        "ServerTiming",
        "AccessLog",
        "SecurityHeaders",
        "CatchPanic",
        "Timeout",
        "BodyLimit",
        "RateLimit",
    ];
    assert!(!d.contains(" JwtAuth "), "JwtAuth is on `/me` only");
    for w in order.windows(2) {
        assert!(pos(w[0]) < pos(w[1]), "{} before {}:\n{d}", w[0], w[1]);
    }
}
