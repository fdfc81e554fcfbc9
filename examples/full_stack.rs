//! Every built-in middleware on a small API: CORS, request ids, server timing,
//! an access log, security headers, catch panic, a timeout, a body limit, rate
//! limiting per client IP (with a stricter quota on one route), and Bearer JWT
//! auth on the routes that need it.
//!
//! Run: `cargo run -p kiln-examples --example full_stack` serves on
//! 127.0.0.1:8082 and prints a demo token (HS256, valid for an hour); then
//!
//! ```sh
//! curl -i localhost:8082/api/items -H 'origin: http://localhost:5173'
//! curl -i -X OPTIONS localhost:8082/api/items -H 'origin: http://localhost:5173' \
//!      -H 'access-control-request-method: POST' -H 'access-control-request-headers: authorization, content-type'
//! curl -i -X POST localhost:8082/api/items -H "authorization: Bearer $TOKEN" \
//!      -H 'content-type: application/json' -d '{"name":"kiln"}'
//! curl -i localhost:8082/api/me                 # 401: no token
//! curl -i localhost:8082/api/slow               # 504 after 1 s
//! curl -i localhost:8082/api/panic              # 500, details only in the log
//! ```
//!
//! `cargo run -p kiln-examples --example full_stack -- --demo` drives the same
//! app in process instead and prints what each request got.

// `chain!` generates `new` with one parameter per singleton: eleven here.
#![allow(clippy::too_many_arguments)]

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kiln::builtin::{
    AccessLog, Algorithm, BodyLimit, CatchPanic, Cors, JwtAuth, JwtClaims, JwtKey, Quota,
    RateLimit, RequestId, RequestIds, SecurityHeaders, ServerTiming, Timeout,
};
use kiln::prelude::*;
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

/// A demo secret; read yours from the environment or a secret store.
const SECRET: &[u8] = b"full_stack example secret, 32 bytes+";

/// The items, in memory.
#[derive(Default)]
struct Store(Mutex<Vec<Item>>);

#[derive(Clone, Serialize)]
struct Item {
    id: usize,
    name: String,
    owner: String,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

#[handler]
fn health() -> &'static str {
    "ok"
}

#[handler]
fn list(store: &Store) -> Json<Vec<Item>> {
    Json(store.0.lock().unwrap().clone())
}

/// Needs a token: `JwtAuth` is listed on this route only.
#[handler]
fn create(store: &Store, claims: &JwtClaims, Json(new): Json<NewItem>) -> (StatusCode, Json<Item>) {
    let mut items = store.0.lock().unwrap();
    let item = Item {
        id: items.len() + 1,
        name: new.name,
        owner: claims.sub.clone().unwrap_or_default(),
    };
    items.push(item.clone());
    (StatusCode::CREATED, Json(item))
}

#[handler]
fn me(claims: &JwtClaims, id: &RequestId) -> String {
    format!(
        "you are {} (request {id})",
        claims.sub.as_deref().unwrap_or("?")
    )
}

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

#[handler]
fn panics() -> &'static str {
    panic!("a bug with a secret in its message")
}

chain! {
    struct Api;
    singletons {
        store: Store,
        cors: Cors,
        ids: RequestIds,
        timing: ServerTiming,
        log: AccessLog,
        security: SecurityHeaders,
        catch: CatchPanic,
        timeout: Timeout,
        body_limit: BodyLimit,
        rate: RateLimit,
        jwt: JwtAuth,
    }
    // Listed in any order: the default priorities put them in place
    // (see the table in the README).
    middleware {
        kiln::builtin::Cors,
        kiln::builtin::RequestIds,
        kiln::builtin::ServerTiming,
        kiln::builtin::AccessLog,
        kiln::builtin::SecurityHeaders,
        kiln::builtin::CatchPanic,
        kiln::builtin::Timeout,
        kiln::builtin::BodyLimit,
        kiln::builtin::RateLimit,
    }
    routes {
        #[limit(rate = exempt)]
        GET "/health" => health,
        #[limit(rate = Quota::per_minute(120))]
        GET "/api/items" => list,
        #[limit(body = 16 * 1024, rate = Quota::per_minute(120))]
        POST "/api/items" => create with [kiln::builtin::JwtAuth],
        GET "/api/me" => me with [kiln::builtin::JwtAuth],
        GET "/api/slow" => slow,
        GET "/api/panic" => panics,
    }
}

fn app() -> Result<Api, kiln::builtin::ConfigError> {
    Ok(Api::new(ApiSingletons {
        store: Store::default(),
        cors: Cors::builder()
            .allow_origin("http://localhost:5173")
            .allow_origin_pattern("https://*.example.com")
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(["authorization", "content-type"])
            .expose_headers(["x-request-id", "server-timing"])
            .max_age(Duration::from_mins(10))
            .build()?,
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::builder()
            .server_error_level(tracing::Level::WARN)
            .build(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_secs(1))?,
        body_limit: BodyLimit,
        rate: RateLimit::builder()
            .quota(Quota::per_second(20).burst(40))
            .build()?,
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .issuer("kiln-example")
            .build()?,
    }))
}

/// A demo token for user `ada`, valid for an hour.
fn demo_token() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims =
        serde_json::json!({ "sub": "ada", "iss": "kiln-example", "iat": now, "exp": now + 3600 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("HS256 signing does not fail")
}

/// Drives the app in process and prints what each request got.
async fn demo(app: Api) {
    let client = TestClient::new(app);
    let bearer = format!("Bearer {}", demo_token());
    let origin = "http://localhost:5173";
    let show = |what: &str, res: &kiln::TestResponse| {
        println!("{what}\n  -> {} {}", res.status(), res.text());
        for name in [
            "access-control-allow-origin",
            "x-request-id",
            "server-timing",
            "www-authenticate",
            "retry-after",
        ] {
            if let Some(v) = res.header(name) {
                println!("     {name}: {v}");
            }
        }
    };
    let res = client
        .request(Method::OPTIONS, "/api/items")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await;
    show("preflight POST /api/items", &res);
    let res = client
        .post("/api/items")
        .header("origin", origin)
        .header("authorization", &bearer)
        .header("content-type", "application/json")
        .body(r#"{"name":"kiln"}"#)
        .send()
        .await;
    show("POST /api/items with a token", &res);
    let res = client
        .get("/api/items")
        .header("origin", origin)
        .send()
        .await;
    show("GET /api/items", &res);
    show(
        "GET /api/me without a token",
        &client.get("/api/me").send().await,
    );
    let res = client
        .get("/api/me")
        .header("authorization", &bearer)
        .send()
        .await;
    show("GET /api/me with a token", &res);
    show("GET /api/slow", &client.get("/api/slow").send().await);
    show("GET /api/panic", &client.get("/api/panic").send().await);
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // The access log as logfmt lines on stdout (kiln's fast layer), the
    // rest through `fmt`.
    tracing_subscriber::registry()
        .with(kiln::builtin::AccessLogLayer::new(std::io::stdout))
        .with(tracing_subscriber::fmt::layer().with_filter(kiln::builtin::skip_access_log()))
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .init();
    let app = app().map_err(std::io::Error::other)?;
    if std::env::args().any(|a| a == "--demo") {
        demo(app).await;
        return Ok(());
    }
    let addr = "127.0.0.1:8082";
    println!("{}", app.describe());
    println!("serving on http://{addr}\nTOKEN={}", demo_token());
    kiln::serve(app).bind(addr).await
}
