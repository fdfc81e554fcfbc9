//! `kiln::builtin::SecurityHeaders`: the preset, set only where absent, on every response.

use kiln::builtin::SecurityHeaders;
use kiln::prelude::*;

#[handler]
fn plain() -> &'static str {
    "ok"
}

#[handler]
fn framed() -> Response {
    let mut res = "embeddable".into_response();
    res.headers_mut().insert(
        "x-frame-options",
        kiln::http::HeaderValue::from_static("SAMEORIGIN"),
    );
    res
}

#[middleware(priority = 0, pre_route)]
fn deny(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

chain! {
    struct App;
    singletons { security: SecurityHeaders }
    middleware { kiln::builtin::SecurityHeaders, deny }
    routes { GET "/" => plain, GET "/framed" => framed }
}

const PRESET: [(&str, &str); 7] = [
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'",
    ),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

#[tokio::test]
async fn the_preset_reaches_every_response() {
    let c = TestClient::new(App::new(AppSingletons {
        security: SecurityHeaders::default(),
    }));
    for res in [
        c.get("/").send().await,
        c.get("/nope").send().await,
        c.get("/").header("x-deny", "1").send().await,
    ] {
        for (name, value) in PRESET {
            assert_eq!(res.header(name), Some(value), "{name} on {}", res.status());
        }
    }
}

#[tokio::test]
async fn a_header_the_handler_set_is_kept() {
    let c = TestClient::new(App::new(AppSingletons {
        security: SecurityHeaders::default(),
    }));
    let res = c.get("/framed").send().await;
    assert_eq!(res.header("x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(res.headers.get_all("x-frame-options").iter().count(), 1);
}

#[tokio::test]
async fn each_header_is_configurable() {
    let security = SecurityHeaders::builder()
        .strict_transport_security(Some("max-age=63072000; includeSubDomains; preload"))
        .content_security_policy(None)
        .permissions_policy(None)
        .header("cross-origin-resource-policy", "same-site")
        .build()
        .unwrap();
    let c = TestClient::new(App::new(AppSingletons { security }));
    let res = c.get("/").send().await;
    assert_eq!(
        res.header("strict-transport-security"),
        Some("max-age=63072000; includeSubDomains; preload")
    );
    assert_eq!(res.header("content-security-policy"), None);
    assert_eq!(res.header("permissions-policy"), None);
    assert_eq!(
        res.header("cross-origin-resource-policy"),
        Some("same-site")
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn invalid_values_are_rejected_at_build() {
    let e = SecurityHeaders::builder()
        .referrer_policy(Some("bad\u{7f}value"))
        .build()
        .unwrap_err();
    assert_eq!(e.middleware(), "SecurityHeaders");
    assert!(e.message().contains("referrer-policy"), "{e}");
}
