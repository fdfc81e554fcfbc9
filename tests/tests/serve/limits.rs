//! Body limits over real sockets: a body over the limit is refused inside the
//! app's chain (so the 413 carries CORS, the request id and the security
//! headers), in kiln's one error shape, naming the limit that applied: the
//! route's `#[limit(body = ..)]` or the server's.

use super::support;

use std::time::Duration;

use bytes::Bytes;
use kiln::ServeConfig;
use kiln::builtin::{Cors, RequestIds, SecurityHeaders};
use kiln::prelude::*;
use support::{once, post, raw, start, status_line};

const ORIGIN: &str = "https://app.example";

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn echo(body: Bytes) -> String {
    body.len().to_string()
}

chain! {
    struct Limited;
    singletons { cors: Cors, ids: RequestIds, security: SecurityHeaders }
    middleware { kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::SecurityHeaders }
    routes {
        #[limit(body = 64 * 1024)]
        POST "/small" => echo,
        POST "/default" => echo,
        #[limit(body = 4 << 20)]
        POST "/big" => echo,
    }
}

fn app() -> Limited {
    Limited::new(LimitedSingletons {
        cors: Cors::builder().allow_origin(ORIGIN).build().unwrap(),
        ids: RequestIds::new(),
        security: SecurityHeaders::default(),
    })
}

fn config() -> ServeConfig {
    ServeConfig::default().drain_timeout(Duration::from_secs(2))
}

/// Declares `length` bytes and sends none: the answer must come without reading.
async fn declare(addr: std::net::SocketAddr, path: &str, length: usize) -> String {
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\norigin: {ORIGIN}\r\ncontent-type: text/plain\r\ncontent-length: {length}\r\n\r\n"
    );
    raw(addr, req.as_bytes()).await
}

fn header<'a>(res: &'a str, name: &str) -> Option<&'a str> {
    res.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn problem(res: &str) -> serde_json::Value {
    assert_eq!(
        header(res, "content-type"),
        Some("application/problem+json"),
        "{res}"
    );
    serde_json::from_str(res.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_through_the_chain_naming_the_limit() {
    let server = start(app(), config()).await;
    for (path, limit) in [("/small", 65_536), ("/default", kiln::DEFAULT_BODY_LIMIT)] {
        let res = declare(server.addr, path, 3_000_000).await;
        assert!(status_line(&res).starts_with("HTTP/1.1 413"), "{res}");
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some(ORIGIN),
            "CORS ran: a browser sees the 413, not a CORS error"
        );
        assert!(header(&res, "x-request-id").is_some(), "{res}");
        assert_eq!(
            header(&res, "x-content-type-options"),
            Some("nosniff"),
            "{res}"
        );
        let p = problem(&res);
        assert_eq!(p["status"], 413);
        assert_eq!(p["code"], "payload_too_large");
        assert_eq!(
            p["detail"],
            format!("request body larger than {limit} bytes"),
            "names the limit that applied to {path}"
        );
    }
    // A chunked body over the route's limit: the same answer, the same shape.
    let chunk = "x".repeat(40 * 1024);
    let req = format!(
        "POST /small HTTP/1.1\r\nhost: x\r\norigin: {ORIGIN}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    let res = raw(server.addr, req.as_bytes()).await;
    assert!(status_line(&res).starts_with("HTTP/1.1 413"), "{res}");
    assert_eq!(header(&res, "access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        problem(&res)["detail"],
        "request body larger than 65536 bytes"
    );
    // A route may declare a limit above the server's.
    let body = Bytes::from(vec![b'x'; 3 << 20]);
    let got = once(server.addr, post("/big", "text/plain", body)).await;
    assert_eq!((got.status, got.body.as_str()), (StatusCode::OK, "3145728"));
    server.stop().await;
}
