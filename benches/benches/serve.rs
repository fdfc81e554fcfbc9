//! The full in-process path of one request: routing with a path parameter,
//! `Path` extraction, a chain of 5 middleware and a JSON response; kiln
//! against axum doing the same.
//!
//! Each middleware checks `x-key: secret` on the way in (403 otherwise) and
//! inserts its own header on the way out; the handler answers
//! `GET /users/{id}` with `{"id":42,"name":"ada","admin":false}`.
//!
//! Run: `cargo bench -p kiln-benches --bench serve -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use axum::extract::Request as AxumRequest;
use axum::middleware::{Next as AxumNext, from_fn};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kiln::http::{HeaderName, HeaderValue, Request as HttpRequest};
use kiln::prelude::*;
use kiln::{App, Conn, ConnInfo};
use kiln_benches::block_on;
use serde::Serialize;
use tower::ServiceExt;

#[derive(Serialize)]
struct User {
    id: u64,
    name: &'static str,
    admin: bool,
}

static KEY: HeaderName = HeaderName::from_static("x-key");

fn authorized(headers: &kiln::http::HeaderMap) -> bool {
    headers.get(&KEY).is_some_and(|v| v == "secret")
}

macro_rules! kiln_middleware {
    ($($pre:ident / $post:ident = $p:literal, $header:literal);*) => {$(
        /// Checks the key on the way in.
        #[middleware(priority = $p, pre_route)]
        fn $pre(req: &Request) -> Result<(), StatusCode> {
            if authorized(req.headers()) { Ok(()) } else { Err(StatusCode::FORBIDDEN) }
        }
        /// Marks the response on the way out.
        #[middleware(priority = $p, post_route)]
        fn $post(res: &mut Response) {
            res.headers_mut().insert($header, HeaderValue::from_static("1"));
        }
    )*};
}
kiln_middleware!(
    pre1 / post1 = 1, "x-mw-1";
    pre2 / post2 = 2, "x-mw-2";
    pre3 / post3 = 3, "x-mw-3";
    pre4 / post4 = 4, "x-mw-4";
    pre5 / post5 = 5, "x-mw-5"
);

#[handler]
fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: "ada",
        admin: false,
    })
}

/// The root route, beside the measured one: a router with more than one path.
#[handler]
fn home() -> &'static str {
    "users"
}

chain! {
    struct Users;
    middleware { pre1, post1, pre2, post2, pre3, post3, pre4, post4, pre5, post5 }
    routes {
        GET "/" => home,
        GET "/users/{id}" => user,
        GET "/teams/{team}/users" => user,
    }
}

macro_rules! axum_middleware {
    ($($name:ident = $header:literal),*) => {$(
        async fn $name(req: AxumRequest, next: AxumNext) -> axum::response::Response {
            if !authorized(req.headers()) {
                return axum::response::IntoResponse::into_response(StatusCode::FORBIDDEN);
            }
            let mut res = next.run(req).await;
            res.headers_mut().insert($header, HeaderValue::from_static("1"));
            res
        }
    )*};
}
axum_middleware!(
    a1 = "x-mw-1",
    a2 = "x-mw-2",
    a3 = "x-mw-3",
    a4 = "x-mw-4",
    a5 = "x-mw-5"
);

async fn axum_user(axum::extract::Path(id): axum::extract::Path<u64>) -> axum::Json<User> {
    axum::Json(User {
        id,
        name: "ada",
        admin: false,
    })
}

fn axum_router() -> axum::Router {
    // Layers added last run first: a5 is innermost, like kiln's priority 5.
    axum::Router::new()
        .route("/", axum::routing::get(|| async { "users" }))
        .route("/users/{id}", axum::routing::get(axum_user))
        .route("/teams/{team}/users", axum::routing::get(axum_user))
        .layer(from_fn(a5))
        .layer(from_fn(a4))
        .layer(from_fn(a3))
        .layer(from_fn(a2))
        .layer(from_fn(a1))
}

const BODY: &str = r#"{"id":42,"name":"ada","admin":false}"#;

fn kiln_request() -> Request {
    HttpRequest::get("/users/42")
        .header(&KEY, "secret")
        .body(Body::empty())
        .unwrap()
}

fn axum_request() -> HttpRequest<axum::body::Body> {
    HttpRequest::get("/users/42")
        .header(&KEY, "secret")
        .body(axum::body::Body::empty())
        .unwrap()
}

fn verify(status: StatusCode, headers: &kiln::http::HeaderMap, body: &[u8]) {
    assert_eq!(status, StatusCode::OK);
    for i in 1..=5 {
        assert_eq!(headers[format!("x-mw-{i}").as_str()], "1");
    }
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, BODY.as_bytes());
}

fn serve_path(c: &mut Criterion) {
    let kiln = Users::new();
    let mut conn = Conn::new(ConnInfo::default());
    let (parts, body) = block_on(kiln.handle(kiln_request(), &mut conn)).into_parts();
    verify(
        parts.status,
        &parts.headers,
        &block_on(body.collect(1 << 20)).unwrap(),
    );
    conn.reset();

    let axum = axum_router();
    let (parts, body) = block_on(axum.clone().oneshot(axum_request()))
        .unwrap()
        .into_parts();
    let bytes = block_on(http_body_util::BodyExt::collect(body))
        .unwrap()
        .to_bytes();
    verify(parts.status, &parts.headers, &bytes);

    let mut g = c.benchmark_group("full_path");
    g.bench_function("kiln", |b| {
        b.iter_batched(
            kiln_request,
            |req| {
                let res = block_on(kiln.handle(req, &mut conn));
                conn.reset();
                res
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("axum", |b| {
        b.iter_batched(
            axum_request,
            |req| block_on(axum.clone().oneshot(req)),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, serve_path);
criterion_main!(benches);
