//! Cache keys: method, path and query, then the request headers that select
//! a variant, as one byte string.
//!
//! Parts are separated by bytes that a URI and a header value cannot hold
//! (`\0`, `\x01`, `\x02`), so two different requests never write one key.
//! Keys are built in a per-thread buffer: a lookup allocates nothing, and a
//! miss copies the key out once.

use std::cell::RefCell;

use http::{HeaderMap, HeaderName, Method};

use crate::Request;

/// Starts a header's part of the key.
const FIELD: u8 = 0x01;
/// Separates a field name from each of its values.
const VALUE: u8 = 0x00;
/// Marks a header the request does not carry (unlike an empty value).
const ABSENT: u8 = 0x02;

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a cleared per-thread key buffer.
pub(super) fn with_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    BUFFER.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        let out = f(&mut buf);
        if buf.capacity() > 16 * 1024 {
            // One request with a huge query does not pin its buffer forever.
            *buf = Vec::new();
        }
        out
    })
}

/// Writes the primary key: `HEAD` shares `GET`'s entries (the server drops
/// the body of a `HEAD` response, so a stored one is a `GET`'s), then path
/// and query, then the credentials when they are part of the key.
pub(super) fn primary(buf: &mut Vec<u8>, req: &Request, credentials: bool) {
    let method = if req.method() == Method::HEAD {
        &Method::GET
    } else {
        req.method()
    };
    buf.extend_from_slice(method.as_str().as_bytes());
    buf.push(VALUE);
    buf.extend_from_slice(req.uri().path().as_bytes());
    if let Some(q) = req.uri().query() {
        buf.push(b'?');
        buf.extend_from_slice(q.as_bytes());
    }
    if credentials {
        fields(
            buf,
            req.headers(),
            &[http::header::AUTHORIZATION, http::header::COOKIE],
        );
    }
}

/// Appends the values of `names` in `headers`: the variant part of the key.
pub(super) fn fields(buf: &mut Vec<u8>, headers: &HeaderMap, names: &[HeaderName]) {
    for name in names {
        buf.push(FIELD);
        buf.extend_from_slice(name.as_str().as_bytes());
        let mut values = headers.get_all(name).iter().peekable();
        if values.peek().is_none() {
            buf.push(ABSENT);
        }
        for v in values {
            buf.push(VALUE);
            buf.extend_from_slice(v.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;

    fn key(uri: &str, headers: &[(&'static str, &'static str)], names: &[&'static str]) -> Vec<u8> {
        let mut req = http::Request::builder().uri(uri);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let req: Request = req.body(Body::empty()).unwrap();
        let mut buf = Vec::new();
        primary(&mut buf, &req, true);
        let names: Vec<HeaderName> = names.iter().map(|n| HeaderName::from_static(n)).collect();
        fields(&mut buf, req.headers(), &names);
        buf
    }

    #[test]
    fn different_requests_have_different_keys() {
        let base = key("/a?x=1", &[], &["accept"]);
        assert_ne!(base, key("/a?x=2", &[], &["accept"]));
        assert_ne!(base, key("/a", &[], &["accept"]));
        assert_ne!(
            base,
            key("/a?x=1", &[("accept", "")], &["accept"]),
            "absent is not empty"
        );
        assert_ne!(
            key("/a", &[("authorization", "Bearer a")], &[]),
            key("/a", &[("authorization", "Bearer b")], &[])
        );
        assert_ne!(
            key("/a", &[("cookie", "s=1")], &[]),
            key("/a", &[("authorization", "s=1")], &[]),
            "a cookie is not an authorization"
        );
        assert_eq!(
            base,
            key("/a?x=1", &[("accept-language", "fr")], &["accept"])
        );
    }
}
