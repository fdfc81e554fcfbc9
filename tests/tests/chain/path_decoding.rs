//! Strict path decoding: invalid percent-encoding and NUL are a 400, a
//! one-segment parameter never decodes to a `/` or a dot segment, and a
//! catch-all never yields a path that escapes when joined to a directory.

use kiln::prelude::*;

#[handler]
fn user(Path(name): Path<String>) -> String {
    name
}

#[handler]
fn pair(Path((a, b)): Path<(String, String)>) -> String {
    format!("{a}|{b}")
}

#[handler]
fn rest(Path(rest): Path<String>) -> String {
    rest
}

/// Opts in to slashes and dots in a one-segment parameter.
#[handler]
fn key(kiln::LoosePath(key): kiln::LoosePath<String>) -> String {
    key
}

chain! {
    struct Paths;
    routes {
        GET "/keys/{key}" => key,
        GET "/users/{name}" => user,
        GET "/pair/{a}/{b}" => pair,
        GET "/files/{*rest}" => rest,
    }
}

fn app() -> TestClient<Paths> {
    TestClient::new(Paths::new())
}

/// Asserts a `400 invalid_path` about parameter `param` whose detail contains `why`.
async fn rejected(path: &str, param: &str, why: &str) {
    let res = app().get(path).send().await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "{path}: {}",
        res.text()
    );
    let body: serde_json::Value = res.json();
    assert_eq!(body["code"], "invalid_path", "{path}: {body}");
    assert_eq!(body["pointer"], format!("/{param}"), "{path}: {body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(why), "{path}: {detail:?} lacks {why:?}");
}

async fn accepted(path: &str, expected: &str) {
    let res = app().get(path).send().await;
    assert_eq!(res.status(), StatusCode::OK, "{path}: {}", res.text());
    assert_eq!(res.text(), expected, "{path}");
}

#[tokio::test]
async fn invalid_percent_encoding_is_a_400() {
    rejected("/users/%zz", "name", "percent-encoding").await;
    rejected("/users/ab%2", "name", "percent-encoding").await;
    rejected("/users/ab%", "name", "percent-encoding").await;
    rejected("/pair/ok/%g0", "b", "percent-encoding").await;
    rejected("/files/a/%zz", "rest", "percent-encoding").await;
    // Not UTF-8 once decoded.
    rejected("/users/%ff", "name", "UTF-8").await;
}

#[tokio::test]
async fn nul_is_a_400() {
    rejected("/users/a%00b", "name", "NUL").await;
    rejected("/files/a/b%00.txt", "rest", "NUL").await;
}

#[tokio::test]
async fn a_segment_parameter_never_decodes_to_a_slash_or_a_dot_segment() {
    rejected("/users/..%2F..%2Fetc%2Fpasswd", "name", "`/`").await;
    rejected("/users/a%2fb", "name", "`/`").await;
    rejected("/users/..", "name", "dot segment").await;
    rejected("/users/.", "name", "dot segment").await;
    rejected("/users/%2E%2E", "name", "dot segment").await;
    rejected("/pair/%2e/x", "a", "dot segment").await;
    // Dots inside a value are fine.
    accepted("/users/a..b", "a..b").await;
    accepted("/users/.hidden", ".hidden").await;
    accepted("/users/a%20b", "a b").await;
    accepted("/pair/x%3Fy/z", "x?y|z").await;
}

#[tokio::test]
async fn a_catch_all_is_a_relative_path_without_dot_segments() {
    accepted("/files/a/b/c.txt", "a/b/c.txt").await;
    accepted("/files/docs/", "docs/").await;
    accepted("/files/a%20b/c", "a b/c").await;
    // An encoded `/` is a separator like any other: the result is checked whole.
    accepted("/files/a%2Fb", "a/b").await;
    rejected("/files/..%2F..%2Fetc%2Fpasswd", "rest", "dot segment").await;
    rejected("/files/a/../../etc/passwd", "rest", "dot segment").await;
    rejected("/files/a/./b", "rest", "dot segment").await;
    rejected("/files/a/%2e%2e", "rest", "dot segment").await;
    // Joined to a directory, an absolute path would replace it.
    rejected("/files//etc/passwd", "rest", "absolute").await;
    rejected("/files/%2Fetc%2Fpasswd", "rest", "absolute").await;
    rejected("/files/a//b", "rest", "empty segment").await;
    rejected("/files/a%5C..%5Cb", "rest", "`\\`").await;
}

#[tokio::test]
async fn loose_path_accepts_slashes_and_dots_but_not_bad_escapes_or_nul() {
    accepted("/keys/a%2Fb", "a/b").await;
    accepted("/keys/..%2F..%2Fetc", "../../etc").await;
    accepted("/keys/..", "..").await;
    rejected("/keys/%zz", "key", "percent-encoding").await;
    rejected("/keys/a%00", "key", "NUL").await;
}
