//! `cors`: the `Cors` builder's checks of origins and patterns, and the
//! middleware's reading of `Origin` and the preflight headers.
//!
//! Input: a configuration (origins, a pattern, flags; from a small
//! dictionary or raw bytes) and a request (method, `Origin`, the
//! `Access-Control-Request-*` headers). Invariants: the builder never panics;
//! `Access-Control-Allow-Origin` is sent exactly to allowed origins (decided
//! here by an oracle written from the documented rules), is `*` only for
//! "any origin" without credentials, and echoes the request's origin
//! otherwise; credentials always come with a concrete origin; `Vary: Origin`
//! accompanies every origin-dependent answer; a preflight is a 204 that never
//! reaches the handler.

use arbitrary::Unstructured;
use http::{Method, StatusCode};
use kiln::ConnInfo;
use kiln::builtin::Cors;
use kiln::prelude::*;

use crate::support;

#[handler]
fn index() -> &'static str {
    "handler"
}

chain! {
    struct Api;
    singletons { cors: Cors }
    middleware { kiln::builtin::Cors }
    routes {
        GET "/" => index,
        POST "/" => index,
    }
}

const ORIGINS: [&str; 6] = [
    "https://app.example",
    "http://localhost:3000",
    "https://a.example:8443",
    "https://[::1]:8080",
    "https://x.example.com",
    "https://evil.example.com.attacker",
];
const PATTERNS: [&str; 3] = [
    "https://*.example.com",
    "http://*.local:8080",
    "https://*.a-b.example",
];

/// The configuration as the oracle sees it.
struct Config<'a> {
    any_origin: bool,
    exact: Vec<&'a str>,
    pattern: Option<&'a str>,
    credentials: bool,
}

fn pick<'a>(u: &mut Unstructured<'a>, dict: &[&'static str]) -> arbitrary::Result<&'a str> {
    let i: u8 = u.arbitrary()?;
    if usize::from(i) < dict.len() * 8 {
        Ok(dict[usize::from(i) % dict.len()])
    } else {
        u.arbitrary()
    }
}

/// See the module docs.
pub fn cors(data: &[u8]) {
    let _ = run(&mut Unstructured::new(data));
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let mut config = Config {
        any_origin: u.ratio(1, 6)?,
        exact: Vec::new(),
        pattern: None,
        credentials: u.arbitrary()?,
    };
    let mut builder = Cors::builder();
    if config.any_origin {
        builder = builder.allow_any_origin();
    }
    for _ in 0..u.int_in_range(0..=3)? {
        let o = pick(u, &ORIGINS)?;
        config.exact.push(o);
        builder = builder.allow_origin(o);
    }
    if u.arbitrary()? {
        let p = pick(u, &PATTERNS)?;
        config.pattern = Some(p);
        builder = builder.allow_origin_pattern(p);
    }
    if u.arbitrary()? {
        builder = builder.allow_any_method();
    }
    if u.arbitrary()? {
        builder = builder.allow_any_header();
    } else if u.arbitrary()? {
        builder = builder.allow_headers([pick(u, &["authorization", "content-type", "*"])?]);
    }
    if u.arbitrary()? {
        builder = builder.expose_headers([pick(u, &["x-request-id", "*"])?]);
    }
    builder = builder
        .allow_credentials(config.credentials)
        .vary_always(u.arbitrary()?);
    let Ok(cors) = builder.build() else {
        return Ok(());
    };
    if config.any_origin && config.credentials {
        panic!("`allow_any_origin` with credentials was accepted");
    }

    let method = match u.int_in_range(0..=3)? {
        0 | 1 => Method::OPTIONS,
        2 => Method::GET,
        _ => support::method(u.arbitrary()?),
    };
    let mut req = support::request(method.clone(), "/").expect("a valid target");
    let origin: Option<Vec<u8>> = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(pick(u, &ORIGINS)?.as_bytes().to_vec()),
        2 => {
            let label = pick(u, &["a", "a.b", "-", "A", "a_b", ""])?;
            Some(format!("https://{label}.example.com").into_bytes())
        }
        _ => Some(u.arbitrary::<&[u8]>()?.to_vec()),
    };
    if let Some(o) = &origin {
        support::add_header(&mut req, "origin", o);
    }
    if u.arbitrary()? {
        let m = pick(u, &["GET", "PUT", "DELETE", "get"])?;
        support::add_header(&mut req, "access-control-request-method", m.as_bytes());
    }
    if u.arbitrary()? {
        let h = pick(u, &["authorization", "content-type, x-custom", ""])?;
        support::add_header(&mut req, "access-control-request-headers", h.as_bytes());
    }
    let origin = req.headers().get("origin").map(|v| v.as_bytes().to_vec());
    let preflight =
        method == Method::OPTIONS && req.headers().contains_key("access-control-request-method");
    let app = Api::new(ApiSingletons { cors });
    let reply = support::send(&app, req, ConnInfo::default());

    let what = format!(
        "{method} origin={:?}",
        origin.as_deref().map(String::from_utf8_lossy)
    );
    let acao = reply
        .headers
        .get("access-control-allow-origin")
        .map(|v| v.as_bytes().to_vec());
    let Some(origin) = origin else {
        assert!(acao.is_none(), "{what}: CORS headers without an Origin");
        return Ok(());
    };
    let allowed = allowed(&config, &origin);
    if preflight {
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{what}: preflight status"
        );
        assert!(
            reply.body.is_empty(),
            "{what}: preflight reached the handler"
        );
    }
    match &acao {
        None => assert!(
            !allowed,
            "{what}: allowed origin got no Access-Control-Allow-Origin"
        ),
        Some(a) if a == b"*" => {
            assert!(
                config.any_origin && !config.credentials,
                "{what}: `*` not configured"
            );
        }
        Some(a) => {
            assert!(
                allowed,
                "{what}: origin not allowed by the config got {a:?}"
            );
            assert_eq!(
                *a, origin,
                "{what}: Access-Control-Allow-Origin is not the request's origin"
            );
        }
    }
    if acao.is_some() && config.credentials {
        assert_eq!(
            reply.header("access-control-allow-credentials"),
            Some("true"),
            "{what}"
        );
    }
    if !config.credentials {
        assert!(
            reply
                .headers
                .get("access-control-allow-credentials")
                .is_none(),
            "{what}"
        );
    }
    if !config.any_origin {
        let vary = reply
            .headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            vary.split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("origin")),
            "{what}: origin-dependent answer without `Vary: Origin` ({vary:?})"
        );
    }
    Ok(())
}

/// The documented rules: any origin; an exact match; or `scheme://` +
/// one or more DNS labels (lowercase letters, digits, `-`) + the pattern's
/// `.suffix`.
fn allowed(config: &Config<'_>, origin: &[u8]) -> bool {
    if config.any_origin || config.exact.iter().any(|e| e.as_bytes() == origin) {
        return true;
    }
    let Some(pattern) = config.pattern else {
        return false;
    };
    let Some((scheme, rest)) = pattern.split_once("://*") else {
        return false;
    };
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let Some(host) = origin
        .strip_prefix(scheme)
        .and_then(|o| o.strip_prefix("://"))
        .and_then(|o| o.strip_suffix(rest))
    else {
        return false;
    };
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}
