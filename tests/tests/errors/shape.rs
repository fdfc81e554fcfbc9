//! The problem+json body of every kind of error kiln generates: routing,
//! extractors, built-in middleware.

use std::time::Duration;

use kiln::builtin::{BodyLimit, CatchPanic, JwtAuth, JwtKey, Quota, RateLimit, Timeout};
use kiln::prelude::*;
use serde_json::{Value, json};

#[derive(serde::Deserialize)]
#[allow(dead_code)] // read by serde only
struct Order {
    customer: String,
    items: Vec<Item>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // read by serde only
struct Item {
    title: String,
    qty: u32,
}

#[derive(serde::Deserialize)]
struct Page {
    page: u32,
}

#[handler]
fn order(Json(o): Json<Order>) -> String {
    format!("{} items", o.items.len())
}

#[handler]
fn item(Path(id): Path<u64>, Query(p): Query<Page>) -> String {
    format!("{id}@{}", p.page)
}

#[handler]
fn token(Header(kiln::headers::Bearer(t)): Header<kiln::headers::Bearer>) -> String {
    t
}

#[handler]
fn form(Form(p): Form<Page>) -> String {
    p.page.to_string()
}

#[handler]
fn boom() -> &'static str {
    panic!("the database password is hunter2")
}

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(10)).await;
    "late"
}

#[handler]
fn me(_claims: &kiln::builtin::JwtClaims) -> &'static str {
    "me"
}

#[handler]
fn upload(body: bytes::Bytes) -> bytes::Bytes {
    body
}

#[handler]
fn ok() -> &'static str {
    "ok"
}

chain! {
    struct Api;
    singletons { catch: CatchPanic, timeout: Timeout, limit: BodyLimit, jwt: JwtAuth, rate: RateLimit }
    middleware { kiln::builtin::CatchPanic, kiln::builtin::Timeout }
    routes {
        POST "/orders" => order,
        GET "/items/{id}" => item,
        GET "/token" => token,
        POST "/form" => form,
        GET "/boom" => boom,
        GET "/slow" => slow,
        GET "/me" => me with [kiln::builtin::JwtAuth],
        #[limit(body = 8)]
        POST "/upload" => upload with [kiln::builtin::BodyLimit],
        GET "/limited" => ok with [kiln::builtin::RateLimit],
    }
}

const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";

fn client() -> TestClient<Api> {
    TestClient::new(Api::new(ApiSingletons {
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_millis(20)).unwrap(),
        limit: BodyLimit,
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(kiln::builtin::Algorithm::HS256, SECRET))
            .build()
            .unwrap(),
        rate: RateLimit::builder()
            .quota(Quota::per_minute(1))
            .build()
            .unwrap(),
    }))
}

/// The problem+json body, checking the members every error has.
fn problem(res: &kiln::TestResponse, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let body: Value = serde_json::from_slice(&res.body).expect("a JSON body");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], status.canonical_reason().unwrap());
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["code"], code, "{body}");
    body
}

#[tokio::test]
async fn not_found_and_method_not_allowed() {
    let c = client();
    let res = c.get("/nowhere").send().await;
    let body = problem(&res, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        body,
        json!({
            "type": "about:blank", "title": "Not Found", "status": 404,
            "detail": "no route matches this path", "code": "not_found",
        })
    );
    let res = c.get("/orders").send().await;
    problem(&res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[tokio::test]
async fn json_field_errors_name_the_field_as_a_pointer() {
    let c = client();
    let send = |body: &'static str| {
        c.post("/orders")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res =
        send(r#"{"customer":"ada","items":[{"title":"a","qty":1},{"title":"b","qty":-1}]}"#).await;
    let body = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "json_mismatch");
    assert_eq!(body["pointer"], "/items/1/qty");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("invalid value: integer `-1`"),
        "{body}"
    );
    let res = send(r#"{"items":[]}"#).await;
    let body = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "json_mismatch");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("missing field `customer`"),
        "{body}"
    );
    assert_eq!(
        body.get("pointer"),
        None,
        "a missing field is the object's error"
    );
    // Malformed JSON is a 400 without a pointer.
    let res = send(r#"{"customer": oops}"#).await;
    let body = problem(&res, StatusCode::BAD_REQUEST, "invalid_json");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("line 1 column 14"),
        "{body}"
    );
    assert_eq!(body.get("pointer"), None);
    let res = c
        .post("/orders")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
    problem(
        &res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let res = c
        .post("/orders")
        .header("content-type", "application/json")
        .body("[]")
        .body_limit(1)
        .send()
        .await;
    problem(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn path_query_form_and_header_rejections() {
    let c = client();
    let body = problem(
        &c.get("/items/seven?page=1").send().await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    );
    assert_eq!(body["pointer"], "/id");
    let body = problem(
        &c.get("/items/7?page=x").send().await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_eq!(body["pointer"], "/page");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("invalid query string: field `page`"),
        "{body}"
    );
    let body = problem(
        &c.get("/items/7").send().await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_eq!(body.get("pointer"), None);
    let res = c
        .post("/form")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("page=-2")
        .send()
        .await;
    let body = problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form");
    assert_eq!(body["pointer"], "/page");
    let body = problem(
        &c.get("/token").send().await,
        StatusCode::BAD_REQUEST,
        "missing_header",
    );
    assert_eq!(body["detail"], "missing header `authorization`");
    let res = c
        .get("/token")
        .header("authorization", "Basic x")
        .send()
        .await;
    problem(&res, StatusCode::BAD_REQUEST, "invalid_header");
}

#[tokio::test]
async fn built_in_middleware_errors_keep_their_headers() {
    let c = client();
    let res = c.get("/me").send().await;
    let body = problem(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(body["detail"], "missing credentials");
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let res = c
        .get("/me")
        .header("authorization", "Bearer not.a.jwt")
        .send()
        .await;
    let body = problem(&res, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(body["detail"], "malformed token");
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    assert_eq!(c.get("/limited").send().await.status(), StatusCode::OK);
    let res = c.get("/limited").send().await;
    problem(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(res.header("retry-after").is_some());
    assert_eq!(res.header("ratelimit-remaining"), Some("0"));

    let res = c.post("/upload").body("123456789").send().await;
    let body = problem(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(body["detail"], "request body larger than 8 bytes");

    let res = c.get("/boom").send().await;
    problem(&res, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(!res.text().contains("hunter2"));

    let res = c.get("/slow").send().await;
    problem(&res, StatusCode::GATEWAY_TIMEOUT, "timeout");
}

#[tokio::test]
async fn the_error_is_kept_in_the_response_extensions() {
    let app = client();
    let req = TestClient::new(()).get("/items/7?page=x").build();
    let res = kiln::App::handle(app.app(), req, &mut kiln::Conn::default()).await;
    let err = res
        .extensions()
        .get::<kiln::Error>()
        .expect("an Error extension");
    assert_eq!(
        (err.code(), err.pointer()),
        ("invalid_query", Some("/page"))
    );
}
