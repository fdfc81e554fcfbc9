//! Extractor and response paths over a real socket: every error status of the
//! body, path, query and header extractors, and the response shapes.

use super::support;

use bytes::Bytes;
use kiln::ServeConfig;
use kiln::headers::Bearer;
use kiln::http::{HeaderValue, header};
use kiln::prelude::*;
use serde::{Deserialize, Serialize};
use support::{Got, get, once, post, start};

#[derive(Deserialize, Serialize)]
struct Todo {
    title: String,
    done: bool,
}

#[derive(Deserialize)]
struct Page {
    page: u32,
}

#[handler]
fn create(Json(todo): Json<Todo>) -> (StatusCode, Json<Todo>) {
    (StatusCode::CREATED, Json(todo))
}

#[handler]
fn login(Form(todo): Form<Todo>) -> String {
    format!("{}:{}", todo.title, todo.done)
}

#[handler]
fn item(Path(id): Path<u32>, Query(p): Query<Page>) -> String {
    format!("{id}@{}", p.page)
}

#[handler]
fn raw(body: Bytes) -> Bytes {
    body
}

#[handler]
fn text(mut body: String) -> String {
    body.make_ascii_uppercase();
    body
}

#[handler]
async fn stream(body: Body) -> String {
    match body.collect(usize::MAX).await {
        Ok(b) => format!("{} bytes", b.len()),
        Err(e) => format!("error: {e}"),
    }
}

#[handler]
fn token(Header(Bearer(t)): Header<Bearer>) -> String {
    t
}

#[handler]
fn moved() -> Redirect {
    Redirect::permanent("/new")
}

#[handler]
fn headed() -> (
    StatusCode,
    [(header::HeaderName, HeaderValue); 1],
    &'static str,
) {
    (
        StatusCode::ACCEPTED,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        "queued",
    )
}

chain! {
    struct Api;
    routes {
        POST "/todos" => create,
        POST "/form" => login,
        GET "/items/{id}" => item,
        POST "/raw" => raw,
        POST "/text" => text,
        POST "/stream" => stream,
        GET "/token" => token,
        GET "/old" => moved,
        GET "/headed" => headed,
    }
}

async fn api() -> support::Running {
    start(Api::new(), ServeConfig::default().body_limit(1024)).await
}

fn check(got: &Got, status: StatusCode, body_contains: &str) {
    assert_eq!(got.status, status, "body: {}", got.body);
    assert!(
        got.body.contains(body_contains),
        "expected {body_contains:?} in {:?}",
        got.body
    );
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json() {
    let s = api().await;
    let a = s.addr;
    let ok = once(a, post("/todos", JSON, r#"{"title":"docs","done":false}"#)).await;
    check(&ok, StatusCode::CREATED, r#""title":"docs""#);
    assert_eq!(ok.headers["content-type"], "application/json");
    // Suffix types and parameters are JSON too.
    let ok = once(
        a,
        post(
            "/todos",
            "application/merge-patch+json; charset=utf-8",
            r#"{"title":"x","done":true}"#,
        ),
    )
    .await;
    check(&ok, StatusCode::CREATED, "");
    check(
        &once(a, post("/todos", "text/plain", "{}")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "application/json",
    );
    let mut no_type = post("/todos", JSON, "{}");
    no_type.headers_mut().remove("content-type");
    check(
        &once(a, no_type).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "got none",
    );
    check(
        &once(a, post("/todos", JSON, r#"{"title": oops}"#)).await,
        StatusCode::BAD_REQUEST,
        "line 1 column 11",
    );
    check(
        &once(a, post("/todos", JSON, r#"{"title":"x""#)).await,
        StatusCode::BAD_REQUEST,
        "EOF",
    );
    check(
        &once(a, post("/todos", JSON, r#"{"title":"x"}"#)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing field `done`",
    );
    check(
        &once(a, post("/todos", JSON, r#"{"title":1,"done":true}"#)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid type: integer `1`",
    );
    let big = format!(r#"{{"title":"{}","done":true}}"#, "x".repeat(2000));
    check(
        &once(a, post("/todos", JSON, big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "1024 bytes",
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form() {
    let s = api().await;
    let a = s.addr;
    check(
        &once(a, post("/form", FORM, "title=a+b&done=true")).await,
        StatusCode::OK,
        "a b:true",
    );
    check(
        &once(a, post("/form", JSON, "title=a&done=true")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        FORM,
    );
    check(
        &once(a, post("/form", FORM, "title=a&done=maybe")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid form data: field `done`",
    );
    check(
        &once(a, post("/form", FORM, "title=a")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing field `done`",
    );
    let big = format!("title={}&done=true", "x".repeat(2000));
    check(
        &once(a, post("/form", FORM, big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "",
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_and_query() {
    let s = api().await;
    let a = s.addr;
    check(
        &once(a, get("/items/7?page=2")).await,
        StatusCode::OK,
        "7@2",
    );
    check(
        &once(a, get("/items/seven?page=2")).await,
        StatusCode::BAD_REQUEST,
        "id",
    );
    check(
        &once(a, get("/items/7?page=x")).await,
        StatusCode::BAD_REQUEST,
        "invalid query string: field `page`",
    );
    check(
        &once(a, get("/items/7")).await,
        StatusCode::BAD_REQUEST,
        "missing field `page`",
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_string_and_streams() {
    let s = api().await;
    let a = s.addr;
    check(
        &once(a, post("/raw", "x/y", "raw bytes")).await,
        StatusCode::OK,
        "raw bytes",
    );
    check(
        &once(a, post("/text", "text/plain", "shout")).await,
        StatusCode::OK,
        "SHOUT",
    );
    check(
        &once(
            a,
            post("/text", "text/plain", Bytes::from_static(b"\xff\xfe")),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not UTF-8",
    );
    check(
        &once(a, post("/raw", "x/y", "x".repeat(1025))).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "",
    );
    check(
        &once(a, post("/stream", "x/y", "x".repeat(1000))).await,
        StatusCode::OK,
        "1000 bytes",
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_responses() {
    let s = api().await;
    let a = s.addr;
    let mut with_token = get("/token");
    with_token
        .headers_mut()
        .insert("authorization", HeaderValue::from_static("Bearer abc"));
    check(&once(a, with_token).await, StatusCode::OK, "abc");
    check(
        &once(a, get("/token")).await,
        StatusCode::BAD_REQUEST,
        "missing header `authorization`",
    );
    let mut basic = get("/token");
    basic
        .headers_mut()
        .insert("authorization", HeaderValue::from_static("Basic abc"));
    check(
        &once(a, basic).await,
        StatusCode::BAD_REQUEST,
        "invalid header `authorization`",
    );

    let old = once(a, get("/old")).await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(old.headers["location"], "/new");
    // HEAD is served by the GET route, with its headers and no body.
    let mut head = get("/headed");
    *head.method_mut() = kiln::http::Method::HEAD;
    let got = once(a, head).await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::ACCEPTED, ""));
    assert_eq!(got.headers["cache-control"], "no-store");
    let headed = once(a, get("/headed")).await;
    check(&headed, StatusCode::ACCEPTED, "queued");
    assert_eq!(headed.headers["cache-control"], "no-store");
    s.stop().await;
}
