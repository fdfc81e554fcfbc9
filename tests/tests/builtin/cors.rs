//! `kiln::builtin::Cors` against the fetch standard's CORS protocol.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kiln::builtin::{Cors, SecurityHeaders};
use kiln::prelude::*;

/// Counts handler runs, to show preflights never reach the router.
#[derive(Default)]
struct Hits(AtomicUsize);

#[handler]
fn data(hits: &Hits) -> Response {
    hits.0.fetch_add(1, Ordering::SeqCst);
    let mut res = "data".into_response();
    res.headers_mut().insert(
        "vary",
        kiln::http::HeaderValue::from_static("accept-encoding"),
    );
    res.headers_mut()
        .insert("x-total", kiln::http::HeaderValue::from_static("3"));
    res
}

/// Short-circuits with 401 unless `x-key` is present (inside CORS).
#[middleware(priority = 10, pre_route)]
fn gate(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-key") {
        Ok(())
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

#[handler]
fn boom() -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

chain! {
    struct App;
    singletons { cors: Cors, hits: Hits, security: SecurityHeaders }
    middleware { kiln::builtin::Cors, kiln::builtin::SecurityHeaders }
    routes {
        GET "/data" => data,
        POST "/data" => data,
        GET "/private" => data with [gate],
        GET "/boom" => boom,
    }
}

const APP: &str = "https://app.example";

fn cors() -> Cors {
    Cors::builder()
        .allow_origin(APP)
        .allow_origin_pattern("https://*.preview.example")
        .allow_origin_fn(|o| o.ends_with(".partner.test"))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers(["Authorization", "content-type"])
        .expose_headers(["x-total"])
        .allow_credentials(true)
        .max_age(Duration::from_mins(10))
        .build()
        .unwrap()
}

fn client(cors: Cors) -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        cors,
        hits: Hits::default(),
        security: SecurityHeaders::default(),
    }))
}

fn hits(c: &TestClient<App>) -> usize {
    c.app().hits.0.load(Ordering::SeqCst)
}

fn all<'a>(res: &'a kiln::TestResponse, name: &str) -> Vec<&'a str> {
    res.headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

fn has_no_cors_headers(res: &kiln::TestResponse) -> bool {
    res.headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-"))
}

#[tokio::test]
async fn no_origin_means_no_cors_work() {
    let c = client(cors());
    let res = c.get("/data").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(has_no_cors_headers(&res));
    assert_eq!(
        all(&res, "vary"),
        ["accept-encoding"],
        "no Vary: Origin added"
    );
}

#[tokio::test]
async fn allowed_origin_gets_headers_on_the_actual_response() {
    let c = client(cors());
    let res = c.get("/data").header("origin", APP).send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("access-control-expose-headers"), Some("x-total"));
    // Preflight-only headers are not on actual responses.
    assert_eq!(res.header("access-control-allow-methods"), None);
    assert_eq!(res.header("access-control-max-age"), None);
    // Vary is appended, never replacing the handler's.
    assert_eq!(all(&res, "vary"), ["accept-encoding", "origin"]);
}

#[tokio::test]
async fn patterns_and_predicates_mirror_the_origin() {
    let c = client(cors());
    for origin in ["https://pr-1.preview.example", "https://a.b.partner.test"] {
        let res = c.get("/data").header("origin", origin).send().await;
        assert_eq!(res.header("access-control-allow-origin"), Some(origin));
    }
    for origin in [
        "https://preview.example",
        "https://evil-preview.example",
        "http://pr-1.preview.example",
    ] {
        let res = c.get("/data").header("origin", origin).send().await;
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
    }
}

#[tokio::test]
async fn disallowed_origin_gets_no_cors_headers_but_vary() {
    let c = client(cors());
    let res = c
        .get("/data")
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "CORS does not block; browsers do"
    );
    assert!(has_no_cors_headers(&res));
    assert_eq!(all(&res, "vary"), ["accept-encoding", "origin"]);
}

#[tokio::test]
async fn preflight_is_answered_without_reaching_the_router() {
    let c = client(cors());
    let res = c
        .request(Method::OPTIONS, "/data")
        .header("origin", APP)
        .header("access-control-request-method", "DELETE")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(hits(&c), 0);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("GET, POST, DELETE")
    );
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert_eq!(res.header("access-control-max-age"), Some("600"));
    assert_eq!(
        res.header("access-control-expose-headers"),
        None,
        "expose headers belong on actual responses only"
    );
    assert_eq!(all(&res, "vary"), ["origin"]);
}

#[tokio::test]
async fn preflight_from_a_disallowed_origin_gets_no_cors_headers() {
    let c = client(cors());
    let res = c
        .request(Method::OPTIONS, "/data")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(has_no_cors_headers(&res));
    assert_eq!(hits(&c), 0);
}

#[tokio::test]
async fn other_options_requests_reach_the_router() {
    let c = client(cors());
    // OPTIONS with Origin but without Access-Control-Request-Method: not a preflight.
    let res = c
        .request(Method::OPTIONS, "/data")
        .header("origin", APP)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    // OPTIONS with ACRM but no Origin: not CORS at all.
    let res = c
        .request(Method::OPTIONS, "/data")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(has_no_cors_headers(&res));
}

#[tokio::test]
async fn short_circuits_404s_and_errors_carry_cors_headers() {
    let c = client(cors());
    for (path, status) in [
        ("/private", StatusCode::UNAUTHORIZED),
        ("/nope", StatusCode::NOT_FOUND),
        ("/boom", StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        let res = c.get(path).header("origin", APP).send().await;
        assert_eq!(res.status(), status);
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some(APP),
            "{path}"
        );
        assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(all(&res, "vary"), ["origin"]);
    }
    assert_eq!(hits(&c), 0);
}

#[tokio::test]
async fn any_origin_is_a_star_without_vary() {
    let c = client(
        Cors::builder()
            .allow_any_origin()
            .allow_any_method()
            .allow_any_header()
            .build()
            .unwrap(),
    );
    let res = c
        .get("/data")
        .header("origin", "https://whoever.example")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("access-control-allow-credentials"), None);
    assert_eq!(all(&res, "vary"), ["accept-encoding"]);
    // "Any" methods and headers mirror the request (a literal `*` would not cover Authorization).
    let res = c
        .request(Method::OPTIONS, "/data")
        .header("origin", "https://whoever.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "authorization, x-custom")
        .send()
        .await;
    assert_eq!(res.header("access-control-allow-methods"), Some("PATCH"));
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("authorization, x-custom")
    );
    assert_eq!(
        all(&res, "vary"),
        ["origin, access-control-request-method, access-control-request-headers"]
    );
}

#[tokio::test]
async fn vary_always_covers_requests_without_origin() {
    let c = client(
        Cors::builder()
            .allow_origin(APP)
            .vary_always(true)
            .build()
            .unwrap(),
    );
    let res = c.get("/data").send().await;
    assert!(has_no_cors_headers(&res));
    assert_eq!(all(&res, "vary"), ["accept-encoding", "origin"]);
}

#[test]
fn credentials_are_never_combined_with_a_wildcard() {
    let e = Cors::builder()
        .allow_any_origin()
        .allow_credentials(true)
        .build()
        .unwrap_err();
    assert_eq!(e.middleware(), "Cors");
    assert!(
        e.to_string()
            .contains("cannot be combined with `allow_any_origin()`"),
        "{e}"
    );
}
