//! `kiln::builtin::AccessLog`: one structured event per request, none when off.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kiln::builtin::{AccessLog, RequestIds};
use kiln::prelude::*;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

#[handler]
fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

#[middleware(priority = 0, pre_route)]
fn deny(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::UNAUTHORIZED)
    } else {
        Ok(())
    }
}

chain! {
    struct App;
    singletons { ids: RequestIds, log: AccessLog }
    middleware { kiln::builtin::RequestIds, kiln::builtin::AccessLog, deny }
    routes { GET "/users/{id}" => user }
}

type Event = (tracing::Level, BTreeMap<String, String>);

/// Records every `kiln::access` event's level and fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "kiln::access" {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), fields));
        }
    }
}

fn client(log: AccessLog) -> TestClient<App> {
    TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
        log,
    }))
}

#[tokio::test(flavor = "current_thread")]
async fn one_structured_event_per_request() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(capture.clone()));
    let c = client(AccessLog::new());
    c.get("/users/7?secret=1")
        .header("x-request-id", "req-1")
        .send()
        .await;
    c.get("/users/8").header("x-deny", "1").send().await;
    c.get("/missing").send().await;
    let events = capture.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3);
    let (level, f) = &events[0];
    assert_eq!(*level, tracing::Level::INFO);
    assert_eq!(f["message"], "request");
    assert_eq!(f["method"], "GET");
    assert_eq!(f["route"], "/users/{id}");
    assert_eq!(f["path"], "/users/7", "no query string");
    assert_eq!(f["status"], "200");
    assert_eq!(f["bytes"], "6");
    assert_eq!(f["request_id"], "req-1");
    assert_eq!(f["peer"], "127.0.0.1:40000");
    assert!(f["latency_us"].parse::<u64>().is_ok());
    // Short-circuits inside it are logged with their status.
    assert_eq!(events[1].1["status"], "401");
    // 404s have no route.
    assert_eq!(events[2].1["status"], "404");
    assert!(!events[2].1.contains_key("route"));
}

#[tokio::test(flavor = "current_thread")]
async fn levels_are_configurable_and_filtered() {
    let capture = Capture::default();
    let filter = tracing_subscriber::filter::LevelFilter::WARN;
    let _guard = tracing::subscriber::set_default(
        Registry::default().with(capture.clone().with_filter(filter)),
    );
    // INFO is filtered out: nothing is emitted.
    client(AccessLog::new()).get("/users/1").send().await;
    assert!(capture.0.lock().unwrap().is_empty());
    // Server errors at WARN still are.
    let log = AccessLog::builder()
        .level(tracing::Level::INFO)
        .server_error_level(tracing::Level::WARN)
        .build();
    let c = client(log);
    c.get("/users/1").send().await;
    assert!(capture.0.lock().unwrap().is_empty());
    let log = AccessLog::builder().level(tracing::Level::WARN).build();
    client(log).get("/users/1").send().await;
    assert_eq!(capture.0.lock().unwrap().len(), 1);
}
