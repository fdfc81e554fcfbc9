//! The build-time benchmark's shop API written with kiln: 40 routes (literal,
//! `{param}` and `{*rest}` patterns, JSON bodies and responses, query strings,
//! per-route and scoped middleware), ten global middleware of its own and every
//! built-in. `axum-buildtime-app` is the same app in axum; `benches/buildtime.sh`
//! times how long each takes to compile.
//!
//! Run: `cargo run -p kiln-buildtime-app` sends a few requests in process and
//! prints what they got; `-- --serve` serves on 127.0.0.1:8090 instead.

// `chain!` generates `new` with one parameter per singleton: fourteen here.
#![allow(clippy::too_many_arguments)]

mod app;
mod error;
mod handlers;
mod middleware;

use kiln::prelude::*;
use kiln_buildtime_shop::issue_token;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = app::app().map_err(std::io::Error::other)?;
    if std::env::args().any(|a| a == "--serve") {
        return kiln::serve(app).bind("127.0.0.1:8090").await;
    }
    let client = TestClient::new(app);
    let bearer = format!("Bearer {}", issue_token(1));
    for (method, path) in [
        (Method::GET, "/health"),
        (Method::GET, "/products/1"),
        (Method::GET, "/me"),
        (Method::GET, "/admin/stats"),
    ] {
        let res = client
            .request(method.clone(), path)
            .header("authorization", &bearer)
            .send()
            .await;
        println!("{method} {path} -> {} {}", res.status(), res.text());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kiln::prelude::*;
    use kiln_buildtime_shop::{ORIGIN, issue_token};

    use super::app::{Shop, app};

    fn client() -> TestClient<Shop> {
        TestClient::new(app().expect("a valid configuration"))
    }

    #[tokio::test]
    async fn a_public_route_runs_the_whole_global_chain() {
        let res = client()
            .get("/products/1")
            .header("origin", ORIGIN)
            .header("accept-language", "de-DE, en;q=0.5")
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().contains(r#""name":"hammer""#), "{}", res.text());
        for (name, value) in [
            ("access-control-allow-origin", Some(ORIGIN)),
            ("content-language", Some("de")),
            ("x-tenant", Some("main")),
            ("x-powered-by", Some("kiln")),
            ("x-content-type-options", Some("nosniff")),
        ] {
            assert_eq!(res.header(name), value, "{name}");
        }
        for name in ["x-request-id", "server-timing", "x-response-time-us"] {
            assert!(res.header(name).is_some(), "{name}");
        }
    }

    #[tokio::test]
    async fn signed_in_and_admin_routes_check_the_token_and_the_user() {
        let c = client();
        assert_eq!(c.get("/me").send().await.status(), StatusCode::UNAUTHORIZED);
        let customer = format!("Bearer {}", issue_token(2));
        let res = c.get("/me").header("authorization", &customer).send().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().contains(r#""name":"bob""#), "{}", res.text());
        let res = c
            .get("/admin/stats")
            .header("authorization", &customer)
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let admin = format!("Bearer {}", issue_token(1));
        let res = c
            .post("/admin/products")
            .header("authorization", &admin)
            .header("content-type", "application/json")
            .body(r#"{"name":"tongs","category":"tools","price_cents":900}"#)
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    }

    #[tokio::test]
    async fn a_middleware_rejection_is_a_json_error() {
        let res = client()
            .get("/health")
            .header("x-tenant", "nope")
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(
            res.text().contains(r#""code":"no_tenant""#),
            "{}",
            res.text()
        );
    }
}
