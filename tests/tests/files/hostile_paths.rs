//! The hostile-path battery against `kiln::fs::dir`, over a real socket with
//! raw request bytes (no client normalizes them first): nothing outside the
//! root is ever served, each gets a 4xx, and the server keeps serving.

use super::support;

use std::os::unix::fs::symlink;

use kiln::ServeConfig;
use kiln::fs::StaticDir;
use kiln::prelude::*;
use support::{problem, raw, start, status_line};

chain! {
    struct Site;
    singletons { assets: StaticDir }
    routes { GET "/static/{*path}" => kiln::fs::dir }
}

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOT";

/// `<tmp>/secret.txt` outside the root, `<tmp>/root/` served, with symbolic
/// links inside it that lead out (and one that stays in).
fn layout() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(tmp.path().join("secret.txt"), SECRET).unwrap();
    std::fs::write(root.join("ok.txt"), "fine").unwrap();
    symlink(tmp.path().join("secret.txt"), root.join("link-out")).unwrap();
    symlink(tmp.path(), root.join("dir-out")).unwrap();
    symlink("/etc", root.join("etc")).unwrap();
    symlink(root.join("ok.txt"), root.join("sub/link-in")).unwrap();
    // A precompressed sibling that leads out must not be served either.
    std::fs::write(root.join("page.html"), "<p>page</p>").unwrap();
    symlink(tmp.path().join("secret.txt"), root.join("page.html.gz")).unwrap();
    tmp
}

fn request(target: &str, extra: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nhost: t\r\n{extra}connection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_root_is_served() {
    let tmp = layout();
    let dir = StaticDir::builder(tmp.path().join("root"))
        .precompressed(&[kiln::fs::ContentCoding::Gzip])
        .build()
        .unwrap();
    let server = start(
        Site::new(SiteSingletons { assets: dir }),
        ServeConfig::default(),
    )
    .await;
    let long_path = "a/".repeat(3000) + "x";
    let long_segment = "b".repeat(300);
    let hostile = [
        "../secret.txt",
        "../../../../../../etc/passwd",
        "..%2fsecret.txt",
        "%2e%2e/secret.txt",
        "%2E%2E%2Fsecret.txt",
        ".%2e/secret.txt",
        "sub/../../secret.txt",
        "sub/%2e%2e/%2e%2e/secret.txt",
        "%252e%252e/secret.txt",
        "..%5csecret.txt",
        "%2e%2e%5csecret.txt",
        "..\\secret.txt",
        "sub\\..\\..\\secret.txt",
        "ok.txt%00",
        "ok.txt%00.png",
        "%00/../secret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "%2fetc%2fpasswd",
        "C:/Windows/win.ini",
        "C:%5CWindows%5Cwin.ini",
        "c%3a%5cwindows%5cwin.ini",
        "\\\\server\\share\\secret.txt",
        "%5c%5cserver%5cshare",
        "%c0%ae%c0%ae/secret.txt",
        "%c0%af",
        "%ff%fe",
        "link-out",
        "dir-out/secret.txt",
        "etc/passwd",
        &long_path,
        &long_segment,
    ];
    for path in hostile {
        let got = raw(server.addr, &request(&format!("/static/{path}"), "")).await;
        let status = status_line(&got);
        assert!(
            status.contains(" 400 ") || status.contains(" 404 ") || status.contains(" 414 "),
            "{path}: {status}"
        );
        assert!(
            got.contains("content-type: application/problem+json")
                && ["invalid_path", "not_found", "uri_too_long"]
                    .iter()
                    .any(|c| got.contains(&format!("\"code\":\"{c}\""))),
            "{path}: {got}"
        );
        assert!(!got.contains(SECRET), "{path} leaked the secret");
        assert!(!got.contains("root:"), "{path} leaked /etc/passwd");
    }
    // Absolute-form targets are routed by their path the same way.
    let got = raw(server.addr, &request("http://t/static/../secret.txt", "")).await;
    assert!(
        !got.contains(SECRET) && !status_line(&got).contains(" 200 "),
        "{got}"
    );

    // The variant that leads out is skipped; the original is served.
    let got = raw(
        server.addr,
        &request("/static/page.html", "accept-encoding: gzip\r\n"),
    )
    .await;
    assert!(status_line(&got).contains(" 200 "), "{got}");
    assert!(
        got.contains("<p>page</p>") && !got.contains(SECRET),
        "{got}"
    );

    // A link that stays inside the root is fine, and the server still serves.
    let got = raw(server.addr, &request("/static/sub/link-in", "")).await;
    assert!(
        status_line(&got).contains(" 200 ") && got.ends_with("fine"),
        "{got}"
    );
    let got = raw(server.addr, &request("/static/ok.txt", "")).await;
    assert!(
        status_line(&got).contains(" 200 ") && got.ends_with("fine"),
        "{got}"
    );
    server.stop().await;
}

#[tokio::test]
async fn links_out_are_served_only_when_trusted() {
    let tmp = layout();
    let trusting = StaticDir::builder(tmp.path().join("root"))
        .follow_any_symlink(true)
        .build()
        .unwrap();
    let client = TestClient::new(Site::new(SiteSingletons { assets: trusting }));
    let res = client.get("/static/link-out").send().await;
    assert_eq!(res.text(), SECRET, "the opt-out really turns the check off");
    // Lexical traversal stays impossible even then.
    let res = client.get("/static/%2e%2e/secret.txt").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let p = problem(&res);
    assert_eq!(p["code"], "invalid_path");
    assert_eq!(
        p["detail"],
        "path segments `.`, `..` and empty segments are not allowed"
    );
    let res = client
        .get(&format!("/static/{}", "a".repeat(300)))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(problem(&res)["code"], "uri_too_long");
}
