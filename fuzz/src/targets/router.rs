//! `router`: route matching (literal routes matched by generated code, patterns
//! by the router) and the strict decoding of path parameters.
//!
//! Input: one byte picks the method, one a route prefix, the rest is the
//! request target. Invariants: only 200/400/404/405 come back; 400 is
//! `invalid_path` problem+json; a `{name}` value never holds `/`, NUL or a dot
//! segment; a `{*rest}` value is a relative path of plain components only
//! (so joining it to a directory cannot leave it); decoded values equal an
//! independent percent-decoding of the raw segment; a target of the shape of a
//! route is never 404.

use std::path::Component;
use std::sync::LazyLock;

use http::{Method, StatusCode};
use kiln::prelude::*;
use kiln::{ConnInfo, LoosePath};
use serde::Deserialize;

use crate::support::{self, Reply};

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn one(Path(v): Path<String>) -> String {
    v
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn loose(LoosePath(v): LoosePath<String>) -> String {
    v
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn rest(Path(v): Path<String>) -> String {
    v
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn pair(Path((a, b)): Path<(String, u32)>) -> String {
    format!("{a}\u{1}{b}")
}

#[derive(Deserialize)]
struct Named {
    x: String,
    y: i64,
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn named(Path(n): Path<Named>) -> String {
    format!("{}\u{1}{}", n.x, n.y)
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn user(Path(id): Path<u64>) -> String {
    id.to_string()
}

#[handler]
fn me() -> &'static str {
    "me"
}

#[handler]
fn lit() -> &'static str {
    "lit"
}

chain! {
    struct Routes;
    routes {
        GET "/one/{v}" => one,
        GET "/loose/{v}" => loose,
        GET "/files/{*rest}" => rest,
        GET "/pair/{a}/{b}" => pair,
        GET "/named/{x}/{y}" => named,
        GET "/users/me" => me,
        GET "/users/{id}" => user,
        GET "/lit" => lit,
        POST "/lit" => lit,
        GET "/lit/" => lit,
    }
}

static APP: LazyLock<Routes> = LazyLock::new(Routes::new);

const PREFIXES: [&str; 8] = [
    "/one/", "/loose/", "/files/", "/pair/", "/named/", "/users/", "/lit", "",
];

/// See the module docs.
pub fn router(data: &[u8]) {
    let [m, p, rest @ ..] = data else { return };
    let Ok(tail) = std::str::from_utf8(rest) else {
        return;
    };
    let target = format!("{}{tail}", PREFIXES[usize::from(*p) % PREFIXES.len()]);
    let method = support::method(*m);
    let Some(req) = support::request(method.clone(), &target) else {
        return;
    };
    let path = req.uri().path().to_owned();
    let reply = support::send(&*APP, req, ConnInfo::default());
    check(&method, &path, &reply);
}

fn check(method: &Method, path: &str, reply: &Reply) {
    let what = format!("{method} {path}");
    match reply.status {
        StatusCode::OK => {}
        StatusCode::BAD_REQUEST => {
            let body = support::check_problem(reply, &what);
            assert_eq!(body["code"], "invalid_path", "{what}: 400 with {body}");
            return;
        }
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
            support::check_problem(reply, &what);
            assert!(
                !(method == Method::GET && route_shaped(path)),
                "{what}: a path of a route's shape got {}",
                reply.status
            );
            if reply.status == StatusCode::METHOD_NOT_ALLOWED {
                assert!(reply.header("allow").is_some(), "{what}: 405 without Allow");
            }
            return;
        }
        s => panic!("{what}: unexpected status {s}: {}", reply.text()),
    }
    if *method == Method::HEAD {
        return;
    }
    let value = reply.text();
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    match segs.as_slice() {
        ["one", raw] => check_one(&what, raw, &value),
        ["loose", raw] => {
            let want = decode(raw).unwrap_or_else(|| panic!("{what}: accepted a bad escape"));
            assert_eq!(value, want, "{what}: loose value");
            assert!(!value.contains('\0'), "{what}: NUL accepted");
        }
        ["files", ..] => check_rest(&what, path.strip_prefix("/files/").unwrap_or(""), &value),
        ["pair", a, b] => {
            let (got_a, got_b) = value.split_once('\u{1}').expect("two values");
            check_one(&what, a, got_a);
            assert_eq!(
                decode(b)
                    .and_then(|b| b.parse::<u32>().ok())
                    .map(|b| b.to_string())
                    .as_deref(),
                Some(got_b),
                "{what}: u32 value"
            );
        }
        ["named", x, _] => {
            let (got_x, _) = value.split_once('\u{1}').expect("two values");
            check_one(&what, x, got_x);
        }
        ["users", "me"] => assert_eq!(value, "me", "{what}: literal route lost to the pattern"),
        ["users", raw] => {
            let want = decode(raw).and_then(|d| d.parse::<u64>().ok());
            assert_eq!(
                want.map(|w| w.to_string()),
                Some(value),
                "{what}: u64 value"
            );
        }
        ["lit"] | ["lit", ""] => assert_eq!(value, "lit", "{what}"),
        _ => panic!("{what}: 200 for a path no route has: {value:?}"),
    }
}

/// A `{name}` value: the raw segment decoded, never `/`, NUL or a dot segment.
fn check_one(what: &str, raw: &str, value: &str) {
    let want = decode(raw).unwrap_or_else(|| panic!("{what}: accepted a bad escape in {raw:?}"));
    assert_eq!(value, want, "{what}: decoded value");
    assert!(
        !value.contains(['/', '\0']) && value != "." && value != "..",
        "{what}: unsafe one-segment value {value:?}"
    );
}

/// A `{*rest}` value: made of plain path components only.
fn check_rest(what: &str, raw: &str, value: &str) {
    let want = decode(raw).unwrap_or_else(|| panic!("{what}: accepted a bad escape in {raw:?}"));
    assert_eq!(value, want, "{what}: decoded value");
    assert!(
        !value.is_empty() && !value.contains(['\0', '\\']),
        "{what}: {value:?}"
    );
    let path = std::path::Path::new(value);
    assert!(
        path.components().all(|c| matches!(c, Component::Normal(_))),
        "{what}: {value:?} is not a plain relative path"
    );
    // No component std would skip either (`a//b`, `a/./b`).
    let joined: Vec<_> = path.components().collect();
    let plain = value.strip_suffix('/').unwrap_or(value);
    assert_eq!(
        joined.len(),
        plain.split('/').count(),
        "{what}: {value:?} has empty or `.` segments"
    );
}

/// Whether `path` has the shape of a route: every parameter a non-empty
/// segment with no bad escape, so the router must find it (it may still 400).
fn route_shaped(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let ok = |s: &&str| !s.is_empty();
    match segs.as_slice() {
        ["one" | "loose" | "users", v] => ok(v),
        ["pair" | "named", a, b] => ok(a) && ok(b),
        ["files", first, ..] => ok(first),
        ["lit"] | ["lit", ""] => true,
        _ => false,
    }
}

/// Percent-decoding by the book (RFC 3986 §2.1), written apart from kiln's:
/// `None` for a `%` without two hex digits or a result that is not UTF-8.
fn decode(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
