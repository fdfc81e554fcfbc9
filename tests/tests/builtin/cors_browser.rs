//! CORS in a real browser: headless Chromium loads a page from one localhost
//! origin that calls a kiln server on another port with an `Authorization`
//! header (so a preflight happens), once from an allowed origin and once from
//! a disallowed one.
//!
//! Ignored by default (it needs Chromium): `bash tests/browser/run.sh`
//! installs Debian's `chromium` and runs it (`CHROMIUM=/path` picks another
//! binary).

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kiln::builtin::{Cors, RequestIds};
use kiln::prelude::*;

/// Every request the API saw, as `METHOD path`.
#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

/// Outside CORS: records preflights too.
#[middleware(priority = -200, pre_route)]
fn record(seen: &Seen, req: &Request) {
    seen.0
        .lock()
        .unwrap()
        .push(format!("{} {}", req.method(), req.uri().path()));
}

/// The `Authorization: Bearer demo` check, short-circuiting with 401.
#[middleware(priority = 0, pre_route)]
fn auth(req: &Request) -> Result<(), StatusCode> {
    match req.headers().get("authorization") {
        Some(v) if v == "Bearer demo" => Ok(()),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

#[handler]
fn data() -> Response {
    let mut res = "secret data".into_response();
    res.headers_mut().insert(
        "x-hidden",
        kiln::http::HeaderValue::from_static("not exposed"),
    );
    res
}

#[handler]
fn simple() -> &'static str {
    "simple"
}

chain! {
    struct ApiApp;
    singletons { seen: Seen, cors: Cors, ids: RequestIds }
    middleware { record, kiln::builtin::Cors, kiln::builtin::RequestIds }
    routes {
        GET "/data" => data with [auth],
        GET "/simple" => simple,
    }
}

/// The page, with the API's address filled in.
struct Page(String);

#[handler]
fn page(p: &Page) -> Response {
    let mut res = p.0.clone().into_response();
    res.headers_mut().insert(
        "content-type",
        kiln::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

chain! {
    struct PageApp;
    singletons { page: Page }
    routes { GET "/" => page }
}

async fn listen() -> (tokio::net::TcpListener, u16) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Loads `url` in headless Chromium and returns the `RESULT ... END` JSON.
fn chromium(url: &str) -> serde_json::Value {
    let bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let profile = std::env::temp_dir().join(format!("kiln-chromium-{}", std::process::id()));
    let mut child = Command::new(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{bin}` ({e}); run tests/browser/run.sh"));
    let deadline = Instant::now() + Duration::from_mins(1);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&profile).ok();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("RESULT ")
        .unwrap_or_else(|| panic!("no result in the DOM:\n{dom}"));
    let end = dom[start..].find(" END").unwrap() + start;
    // The DOM escapes `&`, `<`, `>` and quotes in text; JSON here has only quotes.
    let json = dom[start + 7..end].replace("&quot;", "\"");
    serde_json::from_str(&json).unwrap()
}

#[test]
#[ignore = "needs Chromium: bash tests/browser/run.sh"]
fn chromium_enforces_cors_for_allowed_and_disallowed_origins() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (api_l, api_port) = rt.block_on(listen());
    let (page_l, page_port) = rt.block_on(listen());
    let allowed = format!("http://127.0.0.1:{page_port}");
    let cors = Cors::builder()
        .allow_origin(&allowed)
        .allow_headers(["authorization"])
        .expose_headers(["x-request-id"])
        .build()
        .unwrap();
    let api = ApiApp::new(ApiAppSingletons {
        seen: Seen::default(),
        cors,
        ids: RequestIds::new(),
    });
    let html = include_str!("../../browser/page.html")
        .replace("__API__", &format!("http://127.0.0.1:{api_port}"));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let api = std::sync::Arc::new(api);
    let api_task = {
        let api = ApiShared(std::sync::Arc::clone(&api));
        rt.spawn(
            kiln::serve(api)
                .with_shutdown(stopped(stop_rx.clone()))
                .listen(api_l),
        )
    };
    let page_task = rt.spawn(
        kiln::serve(PageApp::new(PageAppSingletons { page: Page(html) }))
            .with_shutdown(stopped(stop_rx))
            .listen(page_l),
    );

    // Allowed origin: the preflight passes, the page reads the 200, the
    // exposed header, and the short-circuited 401; not the unexposed header.
    let r = chromium(&format!("{allowed}/"));
    assert_eq!(r["origin"], allowed.as_str());
    assert_eq!(r["data"]["status"], 200, "{r}");
    assert_eq!(r["data"]["body"], "secret data");
    assert_eq!(r["data"]["requestId"], true, "exposed header is readable");
    assert_eq!(
        r["data"]["hidden"],
        serde_json::Value::Null,
        "unexposed header is hidden"
    );
    assert_eq!(
        r["denied"]["status"], 401,
        "a 401 from inside the chain is readable"
    );
    assert_eq!(r["simple"]["status"], 200);
    let seen = std::mem::take(&mut *api.seen.0.lock().unwrap());
    assert!(
        seen.contains(&"OPTIONS /data".to_owned()),
        "a preflight happened: {seen:?}"
    );

    // Disallowed origin (same page, `localhost` instead of `127.0.0.1`): the
    // preflight gets no CORS headers, the browser never sends the request.
    let r = chromium(&format!("http://localhost:{page_port}/"));
    assert_eq!(r["data"]["blocked"], true, "{r}");
    assert_eq!(r["denied"]["blocked"], true);
    assert_eq!(
        r["simple"]["blocked"], true,
        "the response is withheld from the page"
    );
    let seen = std::mem::take(&mut *api.seen.0.lock().unwrap());
    assert!(seen.contains(&"OPTIONS /data".to_owned()), "{seen:?}");
    assert!(
        !seen.contains(&"GET /data".to_owned()),
        "no request after a failed preflight: {seen:?}"
    );

    stop_tx.send(true).unwrap();
    rt.block_on(async {
        api_task.await.unwrap().unwrap();
        page_task.await.unwrap().unwrap();
    });
}

/// The API app behind an `Arc`, so the test can read what it saw while it serves.
struct ApiShared(std::sync::Arc<ApiApp>);

impl kiln::App for ApiShared {
    fn handle<'a>(
        &'a self,
        req: Request,
        conn: &'a mut kiln::Conn,
    ) -> impl std::future::Future<Output = Response> + Send + 'a {
        self.0.handle(req, conn)
    }
}
