//! `files`: `kiln::fs`' `Range`, conditional-request and `Accept-Encoding`
//! parsing, through an [`EmbeddedDir`] (no disk, same code as `StaticDir`).
//!
//! Input: a method, a path under the directory, and values for `Range`,
//! `If-Range`, `If-Match`, `If-None-Match`, `If-Modified-Since` and
//! `Accept-Encoding` (each from a dictionary or raw bytes). Invariants: the
//! status is one the module documents; a `206` carries `Content-Range:
//! bytes a-b/len` and exactly those bytes of the representation it names;
//! a `416` carries `bytes */len` of the original or of a variant the client
//! accepts; `Vary: Accept-Encoding` where variants exist; a `200` the whole representation; a
//! compressed variant is only sent to a client whose `Accept-Encoding` names
//! its coding (or `*`) with a non-zero weight.

use arbitrary::Unstructured;
use http::{Method, StatusCode};
use kiln::ContentCoding;
use kiln::fs::{EmbeddedDir, EmbeddedFile, EmbeddedVariant};
use std::sync::LazyLock;

use crate::support;

const TEXT: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const GZ: &[u8] = b"gzip-bytes-of-the-text";
const BR: &[u8] = b"br-bytes";

static FILES: &[EmbeddedFile] = &[
    EmbeddedFile {
        path: "a.txt",
        content_type: "text/plain; charset=utf-8",
        etag: "\"a-36\"",
        modified: Some(1_700_000_000),
        bytes: TEXT,
        variants: &[
            EmbeddedVariant {
                coding: ContentCoding::Brotli,
                etag: "\"a-36-br\"",
                bytes: BR,
            },
            EmbeddedVariant {
                coding: ContentCoding::Gzip,
                etag: "\"a-36-gz\"",
                bytes: GZ,
            },
        ],
    },
    EmbeddedFile {
        path: "dir/index.html",
        content_type: "text/html; charset=utf-8",
        etag: "\"i-4\"",
        modified: None,
        bytes: b"<p/>",
        variants: &[],
    },
    EmbeddedFile {
        path: "empty",
        content_type: "application/octet-stream",
        etag: "\"e-0\"",
        modified: None,
        bytes: b"",
        variants: &[],
    },
];

static DIR: LazyLock<EmbeddedDir> =
    LazyLock::new(|| EmbeddedDir::new(FILES).expect("a sorted table"));

const RANGES: [&str; 10] = [
    "bytes=0-3",
    "bytes=-5",
    "bytes=30-",
    "bytes=5-2",
    "bytes=0-0,2-3",
    "bytes=36-",
    "bytes=0-99999999999999999999",
    "bytes= 1 - 2 ",
    "items=0-1",
    "bytes=-0",
];
const ENCODINGS: [&str; 8] = [
    "gzip",
    "br;q=0.5, gzip;q=0.8",
    "*",
    "identity;q=0, *;q=0",
    "gzip;q=0",
    "BR",
    "br;q=1.0000",
    "*;q=0.1, gzip;q=0",
];
const TAGS: [&str; 6] = [
    "\"a-36\"",
    "W/\"a-36\"",
    "*",
    "\"a-36-gz\"",
    "\"x\", \"a-36\"",
    "W/\"a-36-br\"",
];

fn pick<'a>(u: &mut Unstructured<'a>, dict: &[&'static str]) -> arbitrary::Result<&'a [u8]> {
    let i: u8 = u.arbitrary()?;
    if usize::from(i) < dict.len() * 12 {
        Ok(dict[usize::from(i) % dict.len()].as_bytes())
    } else {
        u.arbitrary()
    }
}

/// See the module docs.
pub fn files(data: &[u8]) {
    let _ = run(&mut Unstructured::new(data));
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let method = if u.ratio(3, 4)? {
        Method::GET
    } else {
        support::method(u.arbitrary()?)
    };
    let tail = *u.choose(&[
        "a.txt",
        "dir/",
        "dir",
        "empty",
        "a.txt/",
        "%2e%2e/a.txt",
        "A.TXT",
    ])?;
    let tail = if u.ratio(1, 8)? {
        u.arbitrary::<&str>()?
    } else {
        tail
    };
    let Some(mut req) = support::request(method.clone(), &format!("/{tail}")) else {
        return Ok(());
    };
    let mut asked = Vec::new();
    for (name, dict) in [
        ("range", &RANGES[..]),
        ("accept-encoding", &ENCODINGS[..]),
        ("if-range", &TAGS[..]),
        ("if-none-match", &TAGS[..]),
        ("if-match", &TAGS[..]),
        (
            "if-modified-since",
            &["Tue, 14 Nov 2023 22:13:20 GMT", "garbage"][..],
        ),
    ] {
        if u.ratio(1, 2)? {
            let v = pick(u, dict)?;
            support::add_header(&mut req, name, v);
            asked.push((name, String::from_utf8_lossy(v).into_owned()));
        }
    }
    let tail = req.uri().path()[1..].to_owned();
    let accept = req
        .headers()
        .get("accept-encoding")
        .map(|v| v.as_bytes().to_vec());
    let res = DIR.serve(&req, &tail);
    let (parts, body) = res.into_parts();
    let body = support::block_on(body.collect(usize::MAX)).expect("an in-memory body");
    let what = format!("{method} /{tail} {asked:?}");
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());

    assert!(
        matches!(
            parts.status.as_u16(),
            200 | 206 | 301 | 304 | 308 | 400 | 404 | 405 | 412 | 414 | 416
        ),
        "{what}: unexpected status {}",
        parts.status
    );
    let file = resolve(&tail);
    let encoding = header("content-encoding");
    let representation: &[u8] = match (file, encoding) {
        (Some(f), None) => f.bytes,
        (Some(f), Some(e)) => {
            let v = f
                .variants
                .iter()
                .find(|v| v.coding.token() == e)
                .unwrap_or_else(|| panic!("{what}: unknown coding {e}"));
            let accept = accept
                .as_deref()
                .unwrap_or_else(|| panic!("{what}: {e} without Accept-Encoding"));
            assert!(
                accepts(accept, e),
                "{what}: sent {e} that the client did not accept"
            );
            v.bytes
        }
        // An escaped name (`%61.txt`): served, but not judged here.
        (None, _) => return Ok(()),
    };
    let head = method == Method::HEAD;
    match parts.status {
        StatusCode::OK => {
            check_vary(&what, file, &parts.headers);
            if !head {
                assert_eq!(
                    &body[..],
                    representation,
                    "{what}: 200 body is not the representation"
                );
            }
        }
        StatusCode::PARTIAL_CONTENT => {
            assert!(method == Method::GET, "{what}: 206 for {method}");
            check_vary(&what, file, &parts.headers);
            let range = header("content-range")
                .unwrap_or_else(|| panic!("{what}: 206 without Content-Range"));
            let (a, b, len) =
                content_range(range).unwrap_or_else(|| panic!("{what}: bad Content-Range {range}"));
            assert_eq!(len, representation.len(), "{what}: Content-Range length");
            assert!(a <= b && b < len, "{what}: {range} out of bounds");
            assert_eq!(
                &body[..],
                &representation[a..=b],
                "{what}: 206 body is not {range}"
            );
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            // The length of the representation selected: the original or a
            // variant the client accepts (the 416 itself carries no coding).
            let f = file.expect("resolved above");
            let range = header("content-range")
                .unwrap_or_else(|| panic!("{what}: 416 without Content-Range"));
            let len: usize = range
                .strip_prefix("bytes */")
                .and_then(|l| l.parse().ok())
                .unwrap_or_else(|| panic!("{what}: 416 Content-Range {range}"));
            let selectable = len == f.bytes.len()
                || f.variants.iter().any(|v| {
                    v.bytes.len() == len
                        && accept
                            .as_deref()
                            .is_some_and(|a| accepts(a, v.coding.token()))
                });
            assert!(
                selectable,
                "{what}: 416 {range} is no representation's length"
            );
        }
        StatusCode::NOT_MODIFIED => assert!(body.is_empty(), "{what}: 304 with a body"),
        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT => {
            assert!(
                header("location").is_some(),
                "{what}: redirect without Location"
            );
        }
        StatusCode::PRECONDITION_FAILED
        | StatusCode::URI_TOO_LONG
        | StatusCode::NOT_FOUND
        | StatusCode::BAD_REQUEST
        | StatusCode::METHOD_NOT_ALLOWED => {}
        s => panic!("{what}: unexpected status {s}"),
    }
    Ok(())
}

/// A file with variants is answered with `Vary: Accept-Encoding`, so that
/// caches keep the codings apart.
fn check_vary(what: &str, file: Option<&EmbeddedFile>, headers: &http::HeaderMap) {
    if file.is_some_and(|f| !f.variants.is_empty()) {
        let vary = headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            vary.split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding")),
            "{what}: no `Vary: Accept-Encoding` ({vary:?})"
        );
    }
}

/// The file a tail names, when it is plain (no escapes): directories by their index.
fn resolve(tail: &str) -> Option<&'static EmbeddedFile> {
    if tail.contains('%') {
        return None;
    }
    if tail.is_empty() || tail.ends_with('/') {
        return DIR.get(&format!("{tail}index.html"));
    }
    DIR.get(tail)
}

/// `bytes a-b/len`.
fn content_range(v: &str) -> Option<(usize, usize, usize)> {
    let (range, len) = v.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?, len.parse().ok()?))
}

/// Whether `Accept-Encoding` names `coding` (or `*`, when the coding is not
/// named) with a weight above zero: RFC 9110 §12.5.3, read by hand.
fn accepts(header: &[u8], coding: &str) -> bool {
    let Ok(header) = std::str::from_utf8(header) else {
        return false;
    };
    let weight = |item: &str| -> Option<(String, f64)> {
        let mut parts = item.split(';');
        let name = parts.next()?.trim().to_ascii_lowercase();
        let mut q = 1.0;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                // Only a weight of the grammar is judged; another may be read either way.
                q = qvalue(v.trim()).unwrap_or(1.0);
            }
        }
        Some((name, q))
    };
    let items: Vec<(String, f64)> = header.split(',').filter_map(weight).collect();
    match items.iter().find(|(n, _)| n == coding) {
        Some((_, q)) => *q > 0.0,
        None => items.iter().any(|(n, q)| n == "*" && *q > 0.0),
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn qvalue(v: &str) -> Option<f64> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit());
    match int {
        "0" if digits => format!("0.{frac}0").parse().ok(),
        "1" if digits && frac.bytes().all(|b| b == b'0') => Some(1.0),
        _ => None,
    }
}
