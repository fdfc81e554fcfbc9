//! Server-sent events over real sockets: framing (multi-line data, ids,
//! retry, comments), keep-alive comments, `Last-Event-ID`, the stream ending
//! when the client goes away and when the server shuts down (HTTP/1.1 and
//! HTTP/2), and the built-in middleware on an SSE route.

use super::support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kiln::ServeConfig;
use kiln::builtin::{AccessLog, Cors, RequestIds, SecurityHeaders, ServerTiming};
use kiln::prelude::*;
use kiln::sse::{Event, KeepAlive, LastEventId, Sse};
use support::start;
use tokio::net::TcpStream;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// One access-log event's fields.
type AccessEvent = BTreeMap<String, String>;

/// Every `kiln::access` event, from a global subscriber (the server runs on
/// other threads).
static ACCESS: OnceLock<Mutex<Vec<AccessEvent>>> = OnceLock::new();

struct Capture;

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "kiln::access" {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            ACCESS.get().unwrap().lock().unwrap().push(fields);
        }
    }
}

/// The access-log event of the request with this id (at most 5 s).
async fn access_event(id: &str) -> BTreeMap<String, String> {
    for _ in 0..500 {
        let found = ACCESS
            .get()
            .unwrap()
            .lock()
            .unwrap()
            .iter()
            .find(|f| f.get("request_id").map(String::as_str) == Some(id))
            .cloned();
        if let Some(f) = found {
            return f;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no access-log event for request {id}");
}

/// Set when the stream it lives in is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The drop flag of the endless stream's latest run, shared with the test.
#[derive(Default, Clone)]
struct Probe(Arc<Mutex<Option<Arc<AtomicBool>>>>);

impl Probe {
    fn latest(&self) -> Arc<AtomicBool> {
        self.0.lock().unwrap().clone().expect("no stream ran")
    }
}

#[handler]
fn framed() -> Sse<BoxStream<'static, Event>> {
    let events = vec![
        Event::new().comment("welcome"),
        Event::new()
            .event("greeting")
            .unwrap()
            .id("1")
            .unwrap()
            .data("hello\nworld"),
        Event::new()
            .id("2")
            .unwrap()
            .retry(Duration::from_millis(2500))
            .data("a\r\nb\rc\n"),
        Event::new()
            .json_data(&serde_json::json!({"n": 3, "s": "x\ny"}))
            .unwrap(),
    ];
    Sse::new(stream::iter(events).boxed()).no_keep_alive()
}

/// Resumes after the client's `Last-Event-ID`.
#[handler]
fn resume(LastEventId(last): LastEventId) -> Sse<BoxStream<'static, Event>> {
    let next = last.map_or(0, |id| id.parse::<u32>().unwrap() + 1);
    let events = (next..next + 2).map(|n| Event::new().id(n.to_string()).unwrap().data("x"));
    Sse::new(stream::iter(events).boxed())
}

/// One event, then silence forever (keep-alive every 50 ms); notes its drop.
#[handler]
fn endless(probe: &Probe) -> Sse<BoxStream<'static, Event>> {
    let flag = Arc::new(AtomicBool::new(false));
    *probe.0.lock().unwrap() = Some(Arc::clone(&flag));
    let guard = DropFlag(flag);
    let events = stream::iter([Event::new().data("first")])
        .chain(stream::pending())
        .map(move |e| {
            let _held = &guard;
            e
        });
    Sse::new(events.boxed()).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_millis(50))
            .text("ping"),
    )
}

/// A stream that fails after one event: the event is delivered, then the
/// response ends cleanly.
#[handler]
fn failing() -> Sse<BoxStream<'static, Result<Event, std::io::Error>>> {
    let items = vec![
        Ok(Event::new().data("ok")),
        Err(std::io::Error::other("backend gone")),
    ];
    Sse::new(stream::iter(items).boxed())
}

chain! {
    struct Events;
    singletons { probe: Probe }
    routes {
        GET "/framed" => framed,
        GET "/resume" => resume,
        GET "/endless" => endless,
        GET "/failing" => failing,
    }
}

chain! {
    struct Decorated;
    singletons {
        probe: Probe, cors: Cors, ids: RequestIds, timing: ServerTiming, log: AccessLog,
        security: SecurityHeaders,
    }
    middleware {
        kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::ServerTiming,
        kiln::builtin::AccessLog, kiln::builtin::SecurityHeaders,
    }
    routes { GET "/endless" => endless, GET "/framed" => framed }
}

fn app(probe: Probe) -> Events {
    Events::new(EventsSingletons { probe })
}

fn decorated() -> Decorated {
    Decorated::new(DecoratedSingletons {
        probe: Probe::default(),
        cors: Cors::builder()
            .allow_origin("https://app.example")
            .build()
            .unwrap(),
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
    })
}

/// The drain timeout is long on purpose: a server that returns quickly did
/// not wait for the endless stream.
fn config() -> ServeConfig {
    ServeConfig::default().drain_timeout(Duration::from_secs(30))
}

fn get(path: &str) -> http::Request<Empty<Bytes>> {
    http::Request::get(path)
        .header("host", "test")
        .header("accept", "text/event-stream")
        .body(Empty::new())
        .unwrap()
}

async fn h1(
    addr: std::net::SocketAddr,
    req: http::Request<Empty<Bytes>>,
) -> http::Response<Incoming> {
    let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (mut sender, conn) = http1::handshake(io).await.unwrap();
    tokio::spawn(async move {
        conn.await.ok();
    });
    sender.send_request(req).await.unwrap()
}

/// The next data frame as text (at most 5 s); `None` at the end of the body.
async fn next_text(body: &mut Incoming) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("no frame within 5 s")?
            .expect("body failed");
        // HTTP/2 may end a stream with an empty DATA frame.
        if let Ok(data) = frame.into_data()
            && !data.is_empty()
        {
            return Some(String::from_utf8(data.to_vec()).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_framed_per_the_event_stream_format() {
    let server = start(app(Probe::default()), config()).await;
    let res = h1(server.addr, get("/framed")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["transfer-encoding"], "chunked");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        ": welcome\n\n\
         event: greeting\nid: 1\ndata: hello\ndata: world\n\n\
         id: 2\nretry: 2500\ndata: a\ndata: b\ndata: c\ndata:\n\n\
         data: {\"n\":3,\"s\":\"x\\ny\"}\n\n"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_reaches_the_handler() {
    let server = start(app(Probe::default()), config()).await;
    let body = |res: http::Response<Incoming>| async move {
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    };
    let first = body(h1(server.addr, get("/resume")).await).await;
    assert_eq!(first, "id: 0\ndata: x\n\nid: 1\ndata: x\n\n");
    let mut req = get("/resume");
    req.headers_mut()
        .insert("last-event-id", "41".parse().unwrap());
    let again = body(h1(server.addr, req).await).await;
    assert_eq!(again, "id: 42\ndata: x\n\nid: 43\ndata: x\n\n");
    let mut req = get("/resume");
    req.headers_mut().insert(
        "last-event-id",
        http::HeaderValue::from_bytes(b"\xff").unwrap(),
    );
    let res = h1(server.addr, req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
    assert_eq!(p["code"], "invalid_header");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_comments_fill_the_silence() {
    let server = start(app(Probe::default()), config()).await;
    let mut body = h1(server.addr, get("/endless")).await.into_body();
    assert_eq!(next_text(&mut body).await.unwrap(), "data: first\n\n");
    for _ in 0..3 {
        assert_eq!(next_text(&mut body).await.unwrap(), ": ping\n\n");
    }
    drop(body);
    server.stop().await;
}

/// Waits (at most 5 s) until the endless stream's latest run was dropped.
async fn until_dropped(probe_flag: &AtomicBool) {
    for _ in 0..500 {
        if probe_flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the event stream was not dropped within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_dropped_when_the_client_goes_away() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = Probe::default();
    let server = start(app(probe.clone()), config()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("data: first") {
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    let flag = probe.latest();
    assert!(
        !flag.load(Ordering::SeqCst),
        "dropped while the client listens"
    );
    drop(stream);
    until_dropped(&flag).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_ends_the_stream_cleanly_over_http1_and_http2() {
    let server = start(app(Probe::default()), config()).await;
    let mut h1_body = h1(server.addr, get("/endless")).await.into_body();
    assert_eq!(next_text(&mut h1_body).await.unwrap(), "data: first\n\n");

    let io = TokioIo::new(TcpStream::connect(server.addr).await.unwrap());
    let (mut h2, conn) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
    tokio::spawn(async move {
        conn.await.ok();
    });
    let mut h2_body = h2.send_request(get("/endless")).await.unwrap().into_body();
    assert_eq!(next_text(&mut h2_body).await.unwrap(), "data: first\n\n");

    let stopped = server.shutdown();
    // Both responses end without an error (`None` after any keep-alives).
    for body in [&mut h1_body, &mut h2_body] {
        let mut pings = 0;
        while let Some(text) = next_text(body).await {
            assert_eq!(text, ": ping\n\n");
            pings += 1;
            assert!(pings < 100, "the stream goes on after shutdown");
        }
    }
    // ... and the server stops well before its 30 s drain timeout.
    tokio::time::timeout(Duration::from_secs(5), stopped)
        .await
        .expect("the drain waited for the endless streams")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stream_ends_after_the_events_before_the_error() {
    let server = start(app(Probe::default()), config()).await;
    let mut body = h1(server.addr, get("/failing")).await.into_body();
    assert_eq!(next_text(&mut body).await.unwrap(), "data: ok\n\n");
    assert_eq!(next_text(&mut body).await, None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_middleware_decorate_an_sse_response() {
    ACCESS.get_or_init(Default::default);
    tracing::subscriber::set_global_default(Registry::default().with(Capture)).unwrap();
    let server = start(decorated(), config()).await;
    let mut req = get("/endless");
    req.headers_mut()
        .insert("origin", "https://app.example".parse().unwrap());
    let res = h1(server.addr, req).await;
    let h = res.headers();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert!(h.contains_key("x-request-id"));
    assert!(
        h["server-timing"]
            .to_str()
            .unwrap()
            .starts_with("total;dur=")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    let id = h["x-request-id"].to_str().unwrap().to_owned();
    let mut body = res.into_body();
    assert_eq!(next_text(&mut body).await.unwrap(), "data: first\n\n");
    drop(body); // the client goes away mid-stream
    // The access log counts the bytes of the stream, written when it ends.
    let event = access_event(&id).await;
    assert_eq!(event["path"], "/endless");
    assert_eq!(event["status"], "200");
    assert_eq!(event["complete"], "false");
    let bytes: usize = event["bytes"].parse().unwrap();
    assert!(bytes >= "data: first\n\n".len(), "{bytes}");

    // A stream that runs to its end: all its bytes, complete.
    let res = h1(server.addr, get("/framed")).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let len = res.into_body().collect().await.unwrap().to_bytes().len();
    let event = access_event(&id).await;
    assert_eq!(event["bytes"], len.to_string());
    assert_eq!(event["complete"], "true");
    server.stop().await;
}
