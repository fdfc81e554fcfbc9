//! The build-time benchmark's shop API written with axum 0.8, tower-http and
//! tower_governor: the same 40 routes, middleware and built-in stack as
//! `kiln-buildtime-app`, so `benches/buildtime.sh` can compare how long each
//! takes to compile.
//!
//! Run: `cargo run -p axum-buildtime-app` sends a few requests in process and
//! prints what they got; `-- --serve` serves on 127.0.0.1:8091 instead.

mod app;
mod error;
mod handlers;
mod middleware;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use kiln_buildtime_shop::issue_token;
use tower::ServiceExt;

/// The peer address `GovernorLayer` keys on, which `axum::serve` would add.
const PEER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40000);

/// A request with the peer address set, as the server would send it.
fn request(method: Method, path: &str, bearer: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(bearer) = bearer {
        builder = builder.header("authorization", bearer);
    }
    let mut req = builder.body(Body::empty()).expect("a valid request");
    req.extensions_mut().insert(ConnectInfo(PEER));
    req
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = app::app();
    if std::env::args().any(|a| a == "--serve") {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:8091").await?;
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        return axum::serve(listener, service).await;
    }
    let bearer = format!("Bearer {}", issue_token(1));
    for (method, path) in [
        (Method::GET, "/health"),
        (Method::GET, "/products/1"),
        (Method::GET, "/me"),
        (Method::GET, "/admin/stats"),
    ] {
        let res = app
            .clone()
            .oneshot(request(method.clone(), path, Some(&bearer)))
            .await
            .map_err(std::io::Error::other)?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .map_err(std::io::Error::other)?;
        println!(
            "{method} {path} -> {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Response, StatusCode};
    use kiln_buildtime_shop::{ORIGIN, issue_token};
    use tower::ServiceExt;

    use super::{app, request};

    async fn text(res: Response<Body>) -> String {
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_public_route_runs_the_whole_global_chain() {
        let mut req = request(Method::GET, "/products/1", None);
        req.headers_mut().insert("origin", ORIGIN.parse().unwrap());
        req.headers_mut()
            .insert("accept-language", "de-DE, en;q=0.5".parse().unwrap());
        let res = app::app().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let headers = res.headers().clone();
        for (name, value) in [
            ("access-control-allow-origin", ORIGIN),
            ("content-language", "de"),
            ("x-tenant", "main"),
            ("x-powered-by", "axum"),
            ("x-content-type-options", "nosniff"),
        ] {
            assert_eq!(
                headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{name}"
            );
        }
        for name in ["x-request-id", "server-timing", "x-response-time-us"] {
            assert!(headers.contains_key(name), "{name}");
        }
        let body = text(res).await;
        assert!(body.contains(r#""name":"hammer""#), "{body}");
    }

    #[tokio::test]
    async fn signed_in_and_admin_routes_check_the_token_and_the_user() {
        let app = app::app();
        let res = app
            .clone()
            .oneshot(request(Method::GET, "/me", None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let customer = format!("Bearer {}", issue_token(2));
        let res = app
            .clone()
            .oneshot(request(Method::GET, "/me", Some(&customer)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(text(res).await.contains(r#""name":"bob""#));
        let res = app
            .clone()
            .oneshot(request(Method::GET, "/admin/stats", Some(&customer)))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let admin = format!("Bearer {}", issue_token(1));
        let mut req = request(Method::POST, "/admin/products", Some(&admin));
        req.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        *req.body_mut() = Body::from(r#"{"name":"tongs","category":"tools","price_cents":900}"#);
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn a_middleware_rejection_is_a_json_error() {
        let mut req = request(Method::GET, "/health", None);
        req.headers_mut()
            .insert("x-tenant", "nope".parse().unwrap());
        let res = app::app().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(text(res).await.contains(r#""code":"no_tenant""#));
    }
}
