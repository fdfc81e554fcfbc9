//! Rendering errors in an app's own format in one place: the RealWorld API's
//! `{"errors": {"body": [..]}}`, applied to every error of the app by
//! `chain!`'s `options { errors = realworld }`.

use kiln::builtin::{CatchPanic, RequestIds, SecurityHeaders};
use kiln::prelude::*;
use serde_json::{Value, json};

/// RealWorld's error body: every message under `errors.body`.
fn realworld(e: &Error) -> Response {
    let mut body: Vec<String> = e
        .field_errors()
        .iter()
        .map(|f| format!("{} {}", f.pointer.trim_start_matches('/'), f.message))
        .collect();
    if body.is_empty() {
        body.push(e.detail().to_owned());
    }
    Json(json!({ "errors": { "body": body } })).into_response()
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // read by serde only
struct NewArticle {
    title: String,
}

#[handler]
fn create(Json(a): Json<NewArticle>) -> String {
    a.title
}

#[handler]
fn taken() -> Result<&'static str, Error> {
    Err(Error::new(StatusCode::CONFLICT, "title_taken")
        .field_error(kiln::FieldError::new("/title", "has already been taken")))
}

/// Rejects requests without `x-key`, as a user's middleware would.
#[middleware(priority = 10, pre_route)]
fn key(req: &Request) -> Result<(), Error> {
    if req.headers().contains_key("x-key") {
        Ok(())
    } else {
        Err(Error::unauthorized()
            .message("send a key in `x-key`")
            .header(
                kiln::http::header::WWW_AUTHENTICATE,
                kiln::http::HeaderValue::from_static("Key"),
            ))
    }
}

#[handler]
fn boom() -> &'static str {
    panic!("secret")
}

chain! {
    struct Api;
    singletons { ids: RequestIds, security: SecurityHeaders, catch: CatchPanic }
    middleware { kiln::builtin::RequestIds, kiln::builtin::SecurityHeaders, kiln::builtin::CatchPanic }
    routes {
        POST "/articles" => create,
        POST "/taken" => taken,
        GET "/keyed" => create with [key],
        GET "/boom" => boom,
    }
    options { errors = realworld }
}

fn client() -> TestClient<Api> {
    TestClient::new(Api::new(ApiSingletons {
        ids: RequestIds::new(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
    }))
}

#[tokio::test]
async fn every_error_renders_in_the_apps_format_with_its_status_and_headers() {
    let c = client();
    let res = c.get("/articles").send().await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("allow"), Some("POST"));
    assert!(
        res.header("x-request-id").is_some(),
        "the chain's headers stay"
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let body: Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(
        body,
        json!({"errors": {"body": ["this path does not accept the method; `Allow` lists those it does"]}})
    );

    let res = c
        .post("/articles")
        .header("content-type", "application/json")
        .body(r#"{"title":1}"#)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = serde_json::from_slice(&res.body).unwrap();
    assert!(
        body["errors"]["body"][0]
            .as_str()
            .unwrap()
            .contains("invalid type"),
        "{body}"
    );

    let res = c.post("/taken").send().await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(
        body,
        json!({"errors": {"body": ["title has already been taken"]}})
    );
}

#[tokio::test]
async fn successes_are_left_alone() {
    let c = client();
    let res = c
        .post("/articles")
        .header("content-type", "application/json")
        .body(r#"{"title":"hi"}"#)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "hi");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}
