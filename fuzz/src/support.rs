//! What the targets share: running an app in process, building requests from
//! fuzzed bytes, and the checks every error response must pass.

use std::future::Future;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use kiln::{App, Body, Conn, ConnInfo, Request};

thread_local! {
    /// One runtime per thread, built once: the apps need no I/O, only a place to run.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
}

/// Runs `fut` to completion on this thread's runtime.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(fut))
}

/// A response with its body read.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The header's value as text, if present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `req` through `app` on a fresh connection with `info`.
pub(crate) fn send<A: App>(app: &A, req: Request, info: ConnInfo) -> Reply {
    block_on(async {
        let mut conn = Conn::new(info);
        let res = app.handle(req, &mut conn).await;
        let (parts, body) = res.into_parts();
        let body = body
            .collect(usize::MAX)
            .await
            .expect("an in-memory response body never fails");
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    })
}

/// A method picked by one byte: the common ones, and an extension method.
pub(crate) fn method(b: u8) -> Method {
    match b % 8 {
        0 | 1 => Method::GET,
        2 => Method::POST,
        3 => Method::PUT,
        4 => Method::HEAD,
        5 => Method::OPTIONS,
        6 => Method::DELETE,
        _ => Method::from_bytes(b"PURGE").expect("a valid token"),
    }
}

/// A request for `uri`, or `None` when the bytes are no URI hyper would pass on.
pub(crate) fn request(method: Method, uri: &str) -> Option<Request> {
    let uri: http::Uri = uri.parse().ok()?;
    // A server sees origin-form targets (`/path?query`) only.
    if uri.scheme().is_some() || !uri.path().starts_with('/') {
        return None;
    }
    let mut req = Request::new(Body::empty());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    Some(req)
}

/// Adds a header when the name and value are valid (as hyper would have parsed them).
pub(crate) fn add_header(req: &mut Request, name: &str, value: &[u8]) {
    if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_bytes(value)) {
        req.headers_mut().append(n, v);
    }
}

/// Every error kiln makes is problem+json with its status and a code; a
/// `pointer`, when present, is a JSON pointer (RFC 6901). Returns the body.
pub(crate) fn check_problem(reply: &Reply, what: &str) -> serde_json::Value {
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{what}: a {} error must be problem+json",
        reply.status
    );
    let body: serde_json::Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{what}: problem body is not JSON ({e}): {}", reply.text()));
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(reply.status.as_u16())),
        "{what}: `status` member differs from the status"
    );
    assert!(body["code"].is_string(), "{what}: no `code`: {body}");
    if let Some(p) = body.get("pointer") {
        let p = p.as_str().expect("a pointer is a string");
        assert!(is_json_pointer(p), "{what}: `{p}` is not a JSON pointer");
    }
    body
}

/// RFC 6901 syntax: empty, or `/`-separated tokens where `~` is `~0` or `~1`.
pub(crate) fn is_json_pointer(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    if !p.starts_with('/') {
        return false;
    }
    let b = p.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}

/// The JSON pointer's parent (`/a/b` → `/a`; `/a` → ``).
pub(crate) fn parent_pointer(p: &str) -> &str {
    p.rfind('/').map_or("", |i| &p[..i])
}
