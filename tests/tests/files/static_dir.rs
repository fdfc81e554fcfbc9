//! `kiln::fs::StaticDir` and `StaticFile`: content types, validators, 304,
//! 412, ranges (206/416), precompressed variants, directories, HEAD, and a
//! big file streamed over a real socket.

use super::support;

use std::path::Path;

use kiln::fs::{ContentCoding, StaticDir, StaticFile};
use kiln::http::StatusCode;
use kiln::prelude::*;
use kiln::{ServeConfig, TestResponse};
use support::{H1, get, problem, start};

chain! {
    struct Site;
    singletons { assets: StaticDir, favicon: StaticFile }
    routes {
        GET "/assets/{*path}" => kiln::fs::dir,
        // A catch-all matches at least one character: the directory itself is its own route.
        GET "/assets/" => kiln::fs::dir,
        GET "/favicon.ico" => kiln::fs::static_file,
    }
}

/// 200 KiB of text: more than the 64 KiB read at once, so it streams.
fn big() -> String {
    use std::fmt::Write;
    (0..20_000).fold(String::new(), |mut s, i| {
        let _ = writeln!(s, "line {i:05}");
        s
    })
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, data: &[u8]| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    };
    write("index.html", b"<h1>home</h1>");
    write("app.css", b"body { margin: 0 }");
    write("app.js", b"console.log('plain')");
    write("app.js.br", b"BROTLI-BYTES");
    write("app.js.gz", b"GZIP-BYTES");
    write("docs/index.html", b"<h1>docs</h1>");
    write("logo.png", b"\x89PNG....");
    write(".env", b"SECRET=1");
    write("big.txt", big().as_bytes());
    write("favicon.ico", b"ICO");
    dir
}

fn app(root: &Path, precompressed: bool) -> Site {
    let mut b = StaticDir::builder(root).cache_control("public, max-age=60");
    if precompressed {
        b = b.precompressed(&[ContentCoding::Brotli, ContentCoding::Gzip]);
    }
    Site::new(SiteSingletons {
        assets: b.build().unwrap(),
        favicon: StaticFile::new(root.join("favicon.ico")).unwrap(),
    })
}

async fn get_with(client: &TestClient<Site>, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = client.get(path);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await
}

#[tokio::test]
async fn serves_files_with_type_length_and_validators() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    let res = client.get("/assets/app.css").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "body { margin: 0 }");
    assert_eq!(res.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(res.header("content-length"), Some("18"));
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert_eq!(res.header("cache-control"), Some("public, max-age=60"));
    let etag = res.header("etag").unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    assert!(res.header("last-modified").unwrap().ends_with(" GMT"));
    assert_eq!(res.header("vary"), None, "no variants, no Vary");

    let png = client.get("/assets/logo.png").send().await;
    assert_eq!(png.header("content-type"), Some("image/png"));
    let ico = client.get("/favicon.ico").send().await;
    assert_eq!((ico.status(), ico.text().as_str()), (StatusCode::OK, "ICO"));
}

#[tokio::test]
async fn etags_change_when_the_file_changes() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    let before = client.get("/assets/app.css").send().await;
    std::fs::write(dir.path().join("app.css"), "body { margin: 1px }").unwrap();
    let after = client.get("/assets/app.css").send().await;
    assert_ne!(before.header("etag"), after.header("etag"));
    let res = get_with(
        &client,
        "/assets/app.css",
        &[("if-none-match", before.header("etag").unwrap())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "a stale tag does not match");
}

#[tokio::test]
async fn conditional_requests() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    let first = client.get("/assets/app.css").send().await;
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();

    let res = get_with(&client, "/assets/app.css", &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.body.is_empty());
    assert_eq!(res.header("content-type"), None, "a 304 is no error body");
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    assert_eq!(res.header("cache-control"), Some("public, max-age=60"));

    let weak = format!("W/{etag}");
    let res = get_with(&client, "/assets/app.css", &[("if-none-match", &weak)]).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_MODIFIED,
        "If-None-Match compares weakly"
    );
    assert_eq!(
        res.header("etag"),
        Some(weak.as_str()),
        "and repeats the weak tag"
    );

    let res = get_with(
        &client,
        "/assets/app.css",
        &[("if-modified-since", &modified)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = get_with(
        &client,
        "/assets/app.css",
        &[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = get_with(&client, "/assets/app.css", &[("if-match", "\"nope\"")]).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(problem(&res)["code"], "precondition_failed");
    let res = get_with(&client, "/assets/app.css", &[("if-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = get_with(
        &client,
        "/assets/app.css",
        &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn ranges() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    let etag = client
        .get("/assets/big.txt")
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let whole = big();

    let res = get_with(&client, "/assets/big.txt", &[("range", "bytes=0-10")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.text(), &whole[..=10]);
    assert_eq!(res.header("content-length"), Some("11"));
    let total = whole.len();
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes 0-10/{total}").as_str())
    );

    // A range past the inline limit streams from the middle of the file.
    let res = get_with(&client, "/assets/big.txt", &[("range", "bytes=70000-")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.text(), &whole[70_000..]);

    let res = get_with(&client, "/assets/big.txt", &[("range", "bytes=-5")]).await;
    assert_eq!(res.text(), &whole[total - 5..]);

    let res = get_with(
        &client,
        "/assets/big.txt",
        &[("range", &format!("bytes={total}-"))],
    )
    .await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes */{total}").as_str())
    );
    let p = problem(&res);
    assert_eq!(p["code"], "range_not_satisfiable");
    assert_eq!(
        p["detail"],
        format!("no byte of the requested range exists: the file has {total} bytes")
    );

    let res = get_with(&client, "/assets/big.txt", &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "several ranges get the whole file"
    );
    assert_eq!(res.body.len(), total);

    let res = get_with(
        &client,
        "/assets/big.txt",
        &[("range", "bytes=0-1"), ("if-range", &etag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let res = get_with(
        &client,
        "/assets/big.txt",
        &[("range", "bytes=0-1"), ("if-range", "\"stale\"")],
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a stale If-Range gets the whole file"
    );
    let res = get_with(&client, "/assets/big.txt", &[("range", "lines=0-1")]).await;
    assert_eq!(res.status(), StatusCode::OK, "unknown units are ignored");
}

#[tokio::test]
async fn precompressed_variants_by_accept_encoding() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), true));
    let res = get_with(
        &client,
        "/assets/app.js",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(res.text(), "BROTLI-BYTES");
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(
        res.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    let br_tag = res.header("etag").unwrap().to_owned();

    let res = get_with(
        &client,
        "/assets/app.js",
        &[("accept-encoding", "gzip, br;q=0.5")],
    )
    .await;
    assert_eq!(
        (res.header("content-encoding"), res.text().as_str()),
        (Some("gzip"), "GZIP-BYTES")
    );
    assert_ne!(
        res.header("etag"),
        Some(br_tag.as_str()),
        "each variant has its own tag"
    );

    let res = get_with(&client, "/assets/app.js", &[("accept-encoding", "zstd")]).await;
    assert_eq!(
        (res.header("content-encoding"), res.text().as_str()),
        (None, "console.log('plain')")
    );
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    let res = client.get("/assets/app.js").send().await;
    assert_eq!(res.header("content-encoding"), None);

    // No sibling: the original.
    let res = get_with(&client, "/assets/app.css", &[("accept-encoding", "br")]).await;
    assert_eq!(
        (res.header("content-encoding"), res.text().as_str()),
        (None, "body { margin: 0 }")
    );

    // A variant revalidates against its own tag.
    let res = get_with(
        &client,
        "/assets/app.js",
        &[("accept-encoding", "br"), ("if-none-match", &br_tag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    let res = get_with(
        &client,
        "/assets/app.js",
        &[("accept-encoding", "gzip"), ("if-none-match", &br_tag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn directories_hidden_files_and_missing_ones() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    assert_eq!(client.get("/assets/").send().await.text(), "<h1>home</h1>");
    assert_eq!(
        client.get("/assets/docs/").send().await.text(),
        "<h1>docs</h1>"
    );
    let res = client.get("/assets/docs?x=1").send().await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.header("location"), Some("/assets/docs/?x=1"));
    assert_eq!(
        client.get("/assets/app.css/").send().await.status(),
        StatusCode::NOT_FOUND
    );
    let res = client.get("/assets/missing.css").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(&res)["code"], "not_found");
    assert_eq!(
        client.get("/assets/.env").send().await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/assets/%2eenv").send().await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn head_has_the_headers_without_the_body() {
    let dir = tree();
    let client = TestClient::new(app(dir.path(), false));
    let res = client.request(Method::HEAD, "/assets/big.txt").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("content-length"),
        Some(big().len().to_string().as_str())
    );
    assert!(res.body.is_empty());
}

#[tokio::test]
async fn inline_io_answers_the_same() {
    let dir = tree();
    let assets = StaticDir::builder(dir.path())
        .inline_io(true)
        .build()
        .unwrap();
    let client = TestClient::new(Site::new(SiteSingletons {
        assets,
        favicon: StaticFile::new(dir.path().join("favicon.ico")).unwrap(),
    }));
    let res = get_with(
        &client,
        "/assets/big.txt",
        &[("range", "bytes=100000-100009")],
    )
    .await;
    assert_eq!(
        (res.status(), res.text()),
        (
            StatusCode::PARTIAL_CONTENT,
            big()[100_000..100_010].to_owned()
        )
    );
    let etag = res.header("etag").unwrap().to_owned();
    let res = get_with(&client, "/assets/big.txt", &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        client.get("/assets/big.txt").send().await.body.len(),
        big().len()
    );
}

#[test]
fn configuration_is_checked() {
    let dir = tree();
    let e = StaticDir::new(dir.path().join("nope")).unwrap_err();
    assert!(e.message().contains("give an existing directory"), "{e}");
    let e = StaticDir::new(dir.path().join("app.css")).unwrap_err();
    assert!(e.message().contains("not a directory"), "{e}");
    let e = StaticDir::builder(dir.path())
        .index(Some("../x"))
        .build()
        .unwrap_err();
    assert!(e.message().contains("plain file name"), "{e}");
    let e = StaticDir::builder(dir.path())
        .cache_control("a\nb")
        .build()
        .unwrap_err();
    assert!(e.message().contains("Cache-Control"), "{e}");
    assert!(StaticFile::new(dir.path().join("docs")).is_err());
}

/// Over a socket: HEAD keeps `Content-Length`, and a file bigger than the
/// chunk size arrives whole and in order (streamed, not read at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_file_over_a_socket() {
    let dir = tree();
    // 3 MiB, over many 128 KiB chunks.
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("blob.bin"), &data).unwrap();
    let server = start(app(dir.path(), false), ServeConfig::default()).await;
    let mut conn = H1::connect(server.addr).await;
    let req = kiln::http::Request::head("/assets/blob.bin")
        .header("host", "test")
        .body(http_body_util::Full::default())
        .unwrap();
    let res = conn.send(req).await;
    assert_eq!(
        res.headers["content-length"],
        data.len().to_string().as_str()
    );
    assert!(res.body.is_empty());
    let res = conn.send(get("/assets/blob.bin")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.headers["content-length"],
        data.len().to_string().as_str()
    );
    assert_eq!(res.bytes.as_ref(), data.as_slice());
    server.stop().await;
}

/// An app's own error format, as `options { errors = .. }` applies it.
fn plain(e: &Error) -> Response {
    format!("{}: {}", e.code(), e.detail()).into_response()
}

chain! {
    struct PlainSite;
    singletons { assets: StaticDir }
    routes { GET "/assets/{*path}" => kiln::fs::dir }
    options { errors = plain }
}

#[tokio::test]
async fn errors_render_in_the_apps_format_and_keep_their_headers() {
    let dir = tree();
    let assets = StaticDir::new(dir.path()).unwrap();
    let client = TestClient::new(PlainSite::new(PlainSiteSingletons { assets }));
    let res = client.get("/assets/missing.css").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.text(), "not_found: no file at this path");
    let res = client
        .get("/assets/app.css")
        .header("range", "bytes=9999-")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(res.header("content-range"), Some("bytes */18"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        res.text().starts_with("range_not_satisfiable: "),
        "{}",
        res.text()
    );
}
