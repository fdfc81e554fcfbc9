//! Uploads over a real socket: fields and files, limits (413 naming the
//! limit), the field allow-list, content types, hostile file names, and
//! temporary files removed on failure and on client disconnect.

use super::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use kiln::ServeConfig;
use kiln::multipart::{Multipart, MultipartConfig};
use kiln::prelude::*;
use support::{Chunked, Got, send_body, start};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Reads every field: text fields as `name=value`, files into temporary files
/// whose content is read back, as `name:file name:len:content`.
#[handler]
async fn save(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
    let mut form = form.with_config(rules);
    let mut out = Vec::new();
    let mut kept = Vec::new();
    while let Some(field) = form.next_field().await? {
        let name = field.name().to_owned();
        if field.raw_file_name().is_some() {
            let file = field.save_temp().await?;
            let content = std::fs::read(file.path()).unwrap();
            out.push(format!(
                "{name}:{}:{}:{}",
                file.file_name().unwrap_or("-"),
                file.len(),
                String::from_utf8_lossy(&content)
            ));
            kept.push(file); // dropped (deleted) when the response is built
        } else {
            out.push(format!("{name}={}", field.text().await?));
        }
    }
    Ok(out.join("\n"))
}

/// Stores the files, then fails: the temporary files must not survive.
#[handler]
async fn save_then_fail(form: Multipart, rules: &MultipartConfig) -> Result<String, StatusCode> {
    let mut form = form.with_config(rules);
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| e.status())? {
        files.push(field.save_temp().await.map_err(|e| e.status())?);
    }
    assert!(files.iter().all(|f| f.path().exists()));
    Err(StatusCode::UNPROCESSABLE_ENTITY)
}

/// Keeps each file under its sanitized name in the `keep` directory, which
/// the client names in the `dir` field.
#[handler]
async fn keep(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
    let mut form = form.with_config(rules);
    let mut dir = PathBuf::new();
    let mut kept = Vec::new();
    while let Some(field) = form.next_field().await? {
        if field.name() == "dir" {
            dir = PathBuf::from(field.text().await?);
            continue;
        }
        let file = field.save_temp().await?;
        let name = file.file_name().unwrap_or("unnamed").to_owned();
        let dest = file.persist(dir.join(&name)).await.unwrap();
        kept.push(dest.display().to_string());
    }
    Ok(kept.join("\n"))
}

chain! {
    struct Uploads;
    singletons { rules: MultipartConfig }
    routes {
        POST "/save" => save,
        POST "/fail" => save_then_fail,
        POST "/keep" => keep,
    }
}

fn app(rules: MultipartConfig) -> Uploads {
    Uploads::new(UploadsSingletons { rules })
}

const BOUNDARY: &str = "kiln-test-boundary";

/// A part: name, file name, content type, content.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, ct, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = file {
            disposition.push_str("; filename=\"");
            disposition.push_str(f);
            disposition.push('"');
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = ct {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn request<B>(path: &str, body: B) -> http::Request<B> {
    http::Request::post(path)
        .header("host", "test")
        .header("content-type", content_type())
        .body(body)
        .unwrap()
}

/// Sends `parts` with a `Content-Length`.
async fn upload(addr: std::net::SocketAddr, path: &str, parts: &[Part<'_>]) -> Got {
    send_body(addr, request(path, Full::new(Bytes::from(form(parts))))).await
}

/// Sends `parts` chunked (no length up front), in 1 KiB pieces.
async fn upload_chunked(addr: std::net::SocketAddr, path: &str, parts: &[Part<'_>]) -> Got {
    let body = Bytes::from(form(parts));
    let chunks: Vec<Bytes> = (0..body.len())
        .step_by(1024)
        .map(|i| body.slice(i..(i + 1024).min(body.len())))
        .collect();
    send_body(addr, request(path, Chunked::new(chunks))).await
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// Waits (at most 5 s) until `dir` holds `n` entries.
async fn until_files(dir: &Path, n: usize) {
    for _ in 0..500 {
        if files_in(dir) == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} holds {} entries, expected {n}",
        dir.display(),
        files_in(dir)
    );
}

fn config() -> ServeConfig {
    ServeConfig::default()
        .body_limit(8 << 20)
        .drain_timeout(Duration::from_secs(2))
}

fn assert_status(got: &Got, status: StatusCode, contains: &str) {
    assert_eq!(got.status, status, "{}", got.body);
    assert!(
        got.body.contains(contains),
        "{:?} does not contain {contains:?}",
        got.body
    );
}

/// An error answer: `status`, problem+json with `code`, a `detail` that
/// contains `contains`; returns the body.
fn assert_problem(got: &Got, status: StatusCode, code: &str, contains: &str) -> serde_json::Value {
    assert_eq!(got.status, status, "{}", got.body);
    let p = support::got_problem(got);
    assert_eq!(p["code"], code, "{p}");
    let detail = p["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(contains),
        "{detail:?} does not contain {contains:?}"
    );
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_fields_and_files_stream_to_temporary_files_that_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(app(MultipartConfig::new().temp_dir(tmp.path())), config()).await;
    let got = upload(
        server.addr,
        "/save",
        &[
            ("title", None, None, b"minutes"),
            (
                "doc",
                Some("notes.txt"),
                Some("text/plain"),
                b"line 1\nline 2",
            ),
            ("empty", Some("e.bin"), None, b""),
        ],
    )
    .await;
    assert_status(&got, StatusCode::OK, "");
    assert_eq!(
        got.body,
        "title=minutes\ndoc:notes.txt:13:line 1\nline 2\nempty:e.bin:0:"
    );
    assert_eq!(
        files_in(tmp.path()),
        0,
        "temporary files are deleted on drop"
    );
    // The same form, chunked.
    let got = upload_chunked(
        server.addr,
        "/save",
        &[("doc", Some("a"), None, &[b'x'; 5000])],
    )
    .await;
    assert_eq!(got.body, format!("doc:a:5000:{}", "x".repeat(5000)));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_file_names_are_sanitized_and_persist_stays_inside_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tempfile::tempdir().unwrap();
    let server = start(app(MultipartConfig::new().temp_dir(tmp.path())), config()).await;
    let dir = dest.path().display().to_string();
    let long = format!("{}.txt", "a".repeat(600));
    let got = upload(
        server.addr,
        "/keep",
        &[
            ("dir", None, None, dir.as_bytes()),
            ("f1", Some("../../../etc/passwd"), None, b"1"),
            ("f2", Some("..\\..\\win.ini"), None, b"2"),
            ("f3", Some("con.txt"), None, b"3"),
            ("f4", Some("a\tb\u{202e}c.exe"), None, b"4"),
            ("f5", Some(".."), None, b"5"),
            ("f6", Some(&long), None, b"6"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let mut names: Vec<String> = std::fs::read_dir(dest.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let long_kept = format!("{}.txt", "a".repeat(251));
    let mut expected = vec![
        "_con.txt", "abc.exe", "passwd", "unnamed", "win.ini", &long_kept,
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    for line in got.body.lines() {
        assert!(Path::new(line).starts_with(dest.path()), "{line} escaped");
    }
    assert_eq!(std::fs::read(dest.path().join("passwd")).unwrap(), b"1");
    assert_eq!(
        files_in(tmp.path()),
        0,
        "persisted files were moved, not copied"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_413_naming_the_limit_and_leave_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = MultipartConfig::new()
        .temp_dir(tmp.path())
        .whole_limit(64 * 1024)
        .field_limit(100)
        .limit_for("doc", 10_000)
        .max_fields(3);
    let server = start(app(rules), config()).await;
    let big = vec![b'x'; 10_001];

    // A file one byte over its field's limit, streamed to a temporary file.
    for got in [
        upload(server.addr, "/save", &[("doc", Some("d"), None, &big)]).await,
        upload_chunked(server.addr, "/save", &[("doc", Some("d"), None, &big)]).await,
    ] {
        let p = assert_problem(
            &got,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "field `doc` larger than 10000 bytes",
        );
        assert_eq!(p["pointer"], "/doc");
    }
    // The default field limit for other names.
    let got = upload(server.addr, "/save", &[("title", None, None, &[b'x'; 101])]).await;
    assert_problem(
        &got,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "field `title` larger than 100 bytes",
    );
    // The whole form: up front by `Content-Length`, and while streaming.
    let parts: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("f{i}"), vec![b'y'; 9000]))
        .collect();
    let parts: Vec<Part<'_>> = parts
        .iter()
        .map(|(n, c)| (n.as_str(), Some("x"), None, c.as_slice()))
        .collect();
    let rules2 = MultipartConfig::new()
        .temp_dir(tmp.path())
        .whole_limit(64 * 1024)
        .field_limit(1 << 20);
    let server2 = start(app(rules2), config()).await;
    for got in [
        upload(server2.addr, "/save", &parts).await,
        upload_chunked(server2.addr, "/save", &parts).await,
    ] {
        assert_problem(
            &got,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "multipart body larger than 65536 bytes (the form's `whole_limit`)",
        );
    }
    // Too many fields.
    let many: Vec<Part<'_>> = vec![("title", None, None, b"t"); 4];
    let got = upload(server.addr, "/save", &many).await;
    assert_problem(
        &got,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "more than 3 fields",
    );
    until_files(tmp.path(), 0).await;
    server.stop().await;
    server2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_limit_that_applied_is_named_when_it_trips_first() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(
        app(MultipartConfig::new()
            .temp_dir(tmp.path())
            .field_limit(1 << 30)),
        config().body_limit(20_000),
    )
    .await;
    let big = vec![b'z'; 30_000];
    let got = upload_chunked(server.addr, "/save", &[("doc", Some("d"), None, &big)]).await;
    assert_problem(
        &got,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "request body larger than 20000 bytes (the route's body limit)",
    );
    until_files(tmp.path(), 0).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_content_types_and_malformed_forms() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = MultipartConfig::new()
        .temp_dir(tmp.path())
        .allow_fields(["title", "photo", "notes"])
        .accept("photo", ["image/png", "image/jpeg"])
        .accept("notes", ["text/*"]);
    let server = start(app(rules), config()).await;

    let got = upload(
        server.addr,
        "/save",
        &[("title", None, None, b"a"), ("admin", None, None, b"1")],
    )
    .await;
    let p = assert_problem(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_not_allowed",
        "field `admin` is not allowed",
    );
    assert_eq!(p["pointer"], "/admin");

    let got = upload(
        server.addr,
        "/save",
        &[("photo", Some("p.png"), Some("text/html"), b"<script>")],
    )
    .await;
    let p = assert_problem(
        &got,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "field `photo` has content type `text/html`; expected image/png or image/jpeg",
    );
    assert_eq!(p["pointer"], "/photo");
    // No declared type is `text/plain`: accepted by `text/*`, not by images.
    let got = upload(server.addr, "/save", &[("notes", Some("n"), None, b"ok")]).await;
    assert_status(&got, StatusCode::OK, "notes:n:2:ok");
    let got = upload(server.addr, "/save", &[("photo", Some("p"), None, b"x")]).await;
    assert_problem(
        &got,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "`text/plain`",
    );
    let got = upload(
        server.addr,
        "/save",
        &[("photo", Some("p.jpg"), Some("IMAGE/JPEG"), b"x")],
    )
    .await;
    assert_status(&got, StatusCode::OK, "photo:p.jpg:1:x");

    // Not a multipart form; no boundary; garbage; text that is not UTF-8.
    let got = support::once(
        server.addr,
        support::post("/save", "application/json", "{}"),
    )
    .await;
    assert_problem(
        &got,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "expected `content-type: multipart/form-data`, got application/json",
    );
    let got = support::once(
        server.addr,
        support::post("/save", "multipart/form-data", "x"),
    )
    .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "invalid_multipart",
        "no boundary",
    );
    let got = send_body(
        server.addr,
        request(
            "/save",
            Full::new(Bytes::from_static(b"--kiln-test-boundary\r\nnonsense")),
        ),
    )
    .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "invalid_multipart", "");
    let got = upload(server.addr, "/save", &[("title", None, None, b"\xff\xfe")]).await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "field `title` is not UTF-8 text",
    );
    // And the server keeps serving.
    let got = upload(
        server.addr,
        "/save",
        &[("title", None, None, b"still here")],
    )
    .await;
    assert_status(&got, StatusCode::OK, "title=still here");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_files_are_removed_when_the_handler_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(app(MultipartConfig::new().temp_dir(tmp.path())), config()).await;
    let got = upload(
        server.addr,
        "/fail",
        &[
            ("a", Some("a.txt"), None, b"aaa"),
            ("b", Some("b.txt"), None, b"bbb"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(files_in(tmp.path()), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_files_are_removed_when_the_client_disconnects() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(app(MultipartConfig::new().temp_dir(tmp.path())), config()).await;
    let head = format!(
        "POST /save HTTP/1.1\r\nhost: test\r\ncontent-type: {}\r\ncontent-length: 1000000\r\n\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"big.bin\"\r\n\r\n",
        content_type()
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'q'; 300_000]).await.unwrap();
    stream.flush().await.unwrap();
    // The file exists while the upload is in progress...
    until_files(tmp.path(), 1).await;
    // ... and is gone once the client goes away mid-file.
    drop(stream);
    until_files(tmp.path(), 0).await;
    server.stop().await;
}
