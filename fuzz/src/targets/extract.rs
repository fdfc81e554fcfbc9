//! `extract`: the `Query`, `Form` and `Json` extractors' parsing.
//!
//! Input: one byte picks the route, one the content type, one the body
//! limit; the rest is split at the first NUL into a query string and a body.
//! Invariants: an extractor accepts exactly what serde accepts for the type
//! (`serde_urlencoded`, `serde_json` called directly, apart from kiln); a
//! rejection is problem+json with the documented status (JSON syntax 400,
//! shape 422, form 422, query 400, too large 413, wrong type 415) and a
//! `pointer`, when present, names a place whose parent exists in the input;
//! an accepted body comes back as serde would serialize it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use http::{Method, StatusCode};
use kiln::prelude::*;
use kiln::{Body, ConnInfo};
use serde::{Deserialize, Serialize};

use crate::support::{self, Reply};

/// A flat record (query strings and forms have no nesting).
#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Flat {
    a: Option<u32>,
    b: Option<String>,
    c: Option<bool>,
    #[serde(default)]
    n: i64,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Item {
    id: u32,
    name: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    score: Option<f64>,
}

/// A nested document: indexes and arbitrary keys in error pointers.
#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Doc {
    items: Vec<Item>,
    #[serde(default)]
    by_key: BTreeMap<String, Item>,
    #[serde(default)]
    kind: Option<Kind>,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Plain,
    Tagged { tag: String },
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn query(Query(q): Query<Flat>) -> Json<Flat> {
    Json(q)
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn query_map(Query(q): Query<BTreeMap<String, String>>) -> Json<BTreeMap<String, String>> {
    Json(q)
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn form(Form(f): Form<Flat>) -> Json<Flat> {
    Json(f)
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn json(Json(d): Json<Doc>) -> Json<Doc> {
    Json(d)
}

#[handler]
#[allow(clippy::needless_pass_by_value)]
fn value(Json(v): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(v)
}

chain! {
    struct Extract;
    routes {
        GET "/query" => query,
        GET "/query-map" => query_map,
        POST "/form" => form,
        POST "/json" => json,
        POST "/value" => value,
    }
}

static APP: LazyLock<Extract> = LazyLock::new(Extract::new);

const CONTENT_TYPES: [Option<&str>; 8] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/json; charset=utf-8"),
    Some("application/problem+json"),
    Some("application/x-www-form-urlencoded; charset=UTF-8"),
    Some("text/plain"),
    Some("APPLICATION/JSON"),
    None,
];

/// See the module docs.
pub fn extract(data: &[u8]) {
    let [route, ct, limit, rest @ ..] = data else {
        return;
    };
    let (query, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    let route = ["/query", "/query-map", "/form", "/json", "/value"][usize::from(*route) % 5];
    let method = if route.starts_with("/query") {
        Method::GET
    } else {
        Method::POST
    };
    let Some(mut req) = support::request(method, &format!("{route}?{query}")) else {
        return;
    };
    let query = req.uri().query().unwrap_or("").to_owned();
    let content_type = CONTENT_TYPES[usize::from(*ct) % CONTENT_TYPES.len()];
    if let Some(t) = content_type {
        support::add_header(&mut req, "content-type", t.as_bytes());
    }
    *req.body_mut() = Body::from(body.to_vec());
    // Mostly the default limit; sometimes one the body may cross.
    let body_limit = if *limit < 200 {
        kiln::DEFAULT_BODY_LIMIT
    } else {
        usize::from(*limit - 200)
    };
    let info = ConnInfo {
        body_limit,
        ..ConnInfo::default()
    };
    let reply = support::send(&*APP, req, info);
    let what = format!("{route}?{query} ({content_type:?}, limit {body_limit})");
    if reply.status != StatusCode::OK {
        support::check_problem(&reply, &what);
    }
    match route {
        "/query" => same_as_serde(
            &what,
            &reply,
            serde_urlencoded::from_str::<Flat>(&query),
            StatusCode::BAD_REQUEST,
        ),
        "/query-map" => same_as_serde(
            &what,
            &reply,
            serde_urlencoded::from_str::<BTreeMap<String, String>>(&query),
            StatusCode::BAD_REQUEST,
        ),
        _ => check_body(&what, route, content_type, body, body_limit, &reply),
    }
}

fn check_body(
    what: &str,
    route: &str,
    content_type: Option<&str>,
    body: &[u8],
    limit: usize,
    reply: &Reply,
) {
    let json_type = content_type.is_some_and(|t| {
        let essence = t
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    });
    let form_type = content_type.is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    let type_ok = if route == "/form" {
        form_type
    } else {
        json_type
    };
    if !type_ok {
        // Some spellings we do not count as the type may still be accepted
        // (case, parameters); a canonical one must never be refused.
        if reply.status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return;
        }
    } else {
        assert_ne!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{what}: refused its own content type"
        );
    }
    if body.len() > limit {
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {} bytes over the limit",
            body.len()
        );
        return;
    }
    assert_ne!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{what}: 413 under the limit"
    );
    match route {
        "/form" => same_as_serde(
            what,
            reply,
            serde_urlencoded::from_bytes::<Flat>(body),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        "/json" => check_json(what, reply, body, serde_json::from_slice::<Doc>(body)),
        _ => check_json(
            what,
            reply,
            body,
            serde_json::from_slice::<serde_json::Value>(body),
        ),
    }
}

/// The extractor's verdict equals serde's; an accepted value round-trips.
fn same_as_serde<T: Serialize>(
    what: &str,
    reply: &Reply,
    serde: Result<T, serde_urlencoded::de::Error>,
    rejection: StatusCode,
) {
    match serde {
        Ok(v) => {
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{what}: serde accepts, kiln says {}",
                reply.text()
            );
            // The bytes, not a re-parse: serde_json's default float parsing
            // may land one ULP off when it reads its own output back.
            let want = serde_json::to_vec(&v).expect("serializable");
            assert_eq!(
                String::from_utf8_lossy(&reply.body),
                String::from_utf8_lossy(&want),
                "{what}: value changed on the way"
            );
        }
        Err(e) => assert_eq!(
            reply.status, rejection,
            "{what}: serde refuses ({e}), kiln says {}",
            reply.status
        ),
    }
}

fn check_json<T: Serialize>(
    what: &str,
    reply: &Reply,
    body: &[u8],
    serde: Result<T, serde_json::Error>,
) {
    use serde_json::error::Category;
    match serde {
        Ok(v) => {
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{what}: serde accepts, kiln says {}",
                reply.text()
            );
            // The bytes, not a re-parse: serde_json's default float parsing
            // may land one ULP off when it reads its own output back.
            let want = serde_json::to_vec(&v).expect("serializable");
            assert_eq!(
                String::from_utf8_lossy(&reply.body),
                String::from_utf8_lossy(&want),
                "{what}: value changed on the way"
            );
        }
        Err(e) => {
            let want = match e.classify() {
                Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::BAD_REQUEST,
            };
            assert_eq!(
                reply.status,
                want,
                "{what}: serde says {e}, kiln {}",
                reply.text()
            );
            let problem = support::check_problem(reply, what);
            if let (Some(p), Ok(input)) = (
                problem["pointer"].as_str(),
                serde_json::from_slice::<serde_json::Value>(body),
            ) {
                assert!(
                    input.pointer(support::parent_pointer(p)).is_some(),
                    "{what}: pointer {p} names nothing in the input"
                );
            }
        }
    }
}
