//! Embedded files: the table `kiln::fs::build` writes compiles and serves
//! (with its build-time variants and tags), and the committed table is what
//! the generator writes today (`KILN_BLESS=1` rewrites it after a change).

use std::path::{Path, PathBuf};

use super::support::problem;
use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
use kiln::fs::build::Embed;
use kiln::fs::{EmbeddedDir, EmbeddedFile};
use kiln::prelude::*;
use tokio::io::AsyncReadExt;

/// Written by `Embed::dir("tests/fixtures/static_src").record_modified(false)`.
static STATIC: &[EmbeddedFile] = include!("../../fixtures/embedded/STATIC.rs");

chain! {
    struct Site;
    singletons { files: EmbeddedDir }
    routes {
        GET "/{*path}" => kiln::fs::embedded,
        GET "/" => kiln::fs::embedded,
    }
}

fn client() -> TestClient<Site> {
    let dir = EmbeddedDir::new(STATIC)
        .unwrap()
        .cache_control("no-cache")
        .unwrap();
    TestClient::new(Site::new(SiteSingletons { files: dir }))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn the_committed_table_is_what_the_generator_writes() {
    let embed = || Embed::dir(fixtures().join("static_src")).record_modified(false);
    if std::env::var_os("KILN_BLESS").is_some() {
        embed()
            .write_to(&fixtures().join("embedded"), "STATIC")
            .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    embed().write_to(out.path(), "STATIC").unwrap();
    let committed = fixtures().join("embedded");
    let mut files = Vec::new();
    list(out.path(), out.path(), &mut files);
    let mut committed_files = Vec::new();
    list(&committed, &committed, &mut committed_files);
    assert_eq!(files, committed_files, "rerun with KILN_BLESS=1");
    for rel in &files {
        let a = std::fs::read(out.path().join(rel)).unwrap();
        let b = std::fs::read(committed.join(rel)).unwrap();
        // The table names its source directory, which differs between machines.
        if rel == "STATIC.rs" {
            let strip = |s: Vec<u8>| {
                String::from_utf8(s)
                    .unwrap()
                    .lines()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(a), strip(b), "{rel}: rerun with KILN_BLESS=1");
        } else {
            assert!(a == b, "{rel} differs: rerun with KILN_BLESS=1");
        }
    }
}

fn list(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            list(base, &p, out);
        } else {
            out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
}

#[test]
fn the_table_has_what_was_asked_for() {
    let paths: Vec<&str> = STATIC.iter().map(|f| f.path).collect();
    assert_eq!(
        paths,
        ["docs/index.html", "index.html", "logo.png", "style.css"],
        "sorted, hidden left out"
    );
    let get = |p: &str| STATIC.iter().find(|f| f.path == p).unwrap();
    assert_eq!(get("index.html").variants.len(), 3);
    assert_eq!(
        get("logo.png").variants.len(),
        0,
        "images are not compressed"
    );
    assert_eq!(
        get("docs/index.html").variants.len(),
        0,
        "too small to compress"
    );
    assert_eq!(get("index.html").content_type, "text/html; charset=utf-8");
}

#[tokio::test]
async fn serves_files_variants_and_validators() {
    let client = client();
    let source = std::fs::read(fixtures().join("static_src/index.html")).unwrap();
    let res = client.get("/").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body, source);
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    let etag = res.header("etag").unwrap().to_owned();

    for (accept, coding) in [
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip", "gzip"),
        ("gzip, br, zstd", "br"),
    ] {
        let res = client
            .get("/index.html")
            .header("accept-encoding", accept)
            .send()
            .await;
        assert_eq!(res.header("content-encoding"), Some(coding));
        assert_ne!(res.header("etag"), Some(etag.as_str()));
        let mut out = Vec::new();
        match coding {
            "br" => {
                BrotliDecoder::new(&res.body[..])
                    .read_to_end(&mut out)
                    .await
            }
            "zstd" => ZstdDecoder::new(&res.body[..]).read_to_end(&mut out).await,
            _ => GzipDecoder::new(&res.body[..]).read_to_end(&mut out).await,
        }
        .unwrap();
        assert_eq!(out, source, "{coding}");
    }

    let res = client
        .get("/index.html")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = client
        .get("/index.html")
        .header("range", "bytes=0-14")
        .send()
        .await;
    assert_eq!(
        (res.status(), res.text().as_str()),
        (StatusCode::PARTIAL_CONTENT, "<!doctype html>")
    );
    let res = client.get("/docs").send().await;
    assert_eq!(
        (res.status(), res.header("location")),
        (StatusCode::PERMANENT_REDIRECT, Some("/docs/"))
    );
    assert_eq!(
        client.get("/docs/").send().await.text(),
        "<!doctype html><p>docs</p>\n"
    );
    assert_eq!(
        client.get("/.hidden").send().await.status(),
        StatusCode::NOT_FOUND
    );
    let res = client.get("/%2e%2e/x").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(&res)["code"], "invalid_path");
    assert_eq!(
        client.get("/logo.png").send().await.header("content-type"),
        Some("image/png")
    );
}

#[test]
fn unsorted_tables_are_refused() {
    static BAD: &[EmbeddedFile] = &[
        EmbeddedFile {
            path: "b",
            content_type: "text/plain",
            etag: "\"b\"",
            modified: None,
            bytes: b"b",
            variants: &[],
        },
        EmbeddedFile {
            path: "a",
            content_type: "text/plain",
            etag: "\"a\"",
            modified: None,
            bytes: b"a",
            variants: &[],
        },
    ];
    let e = EmbeddedDir::new(BAD).unwrap_err();
    assert!(e.message().contains("sorted"), "{e}");
}
