//! `kiln::builtin::AccessLogLayer`: the access log as logfmt lines, one write
//! per line, and nothing else; `skip_access_log` keeps other layers off them.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use kiln::builtin::{AccessLog, AccessLogLayer, RequestIds, skip_access_log};
use kiln::prelude::*;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

#[handler]
fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

chain! {
    struct App;
    singletons { ids: RequestIds, log: AccessLog }
    middleware { kiln::builtin::RequestIds, kiln::builtin::AccessLog }
    routes { GET "/users/{id}" => user }
}

/// Every `write` call's bytes, in order.
#[derive(Clone, Default)]
struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

impl Writes {
    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|w| String::from_utf8(w.clone()).unwrap())
            .collect()
    }
}

struct Writer(Writes);

impl io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (self.0).0.lock().unwrap().push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Writes {
    type Writer = Writer;
    fn make_writer(&'a self) -> Writer {
        Writer(self.clone())
    }
}

/// Splits off the timestamp and checks it is now's, to the second.
fn without_stamp(line: &str) -> &str {
    let (stamp, rest) = line.split_at(27);
    let b = stamp.as_bytes();
    assert!(
        b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[19] == b'.' && b[26] == b'Z',
        "{stamp}"
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secs: u64 = stamp[17..19].parse().unwrap();
    let mins: u64 = stamp[14..16].parse().unwrap();
    let hours: u64 = stamp[11..13].parse().unwrap();
    let of_day = hours * 3600 + mins * 60 + secs;
    let diff = (now % 86_400 + 86_400 - of_day) % 86_400;
    assert!(diff <= 5, "{stamp} is not now (UTC)");
    rest
}

#[tokio::test(flavor = "current_thread")]
async fn one_logfmt_line_per_request_in_one_write() {
    let writes = Writes::default();
    let _guard = tracing::subscriber::set_default(
        Registry::default().with(AccessLogLayer::new(writes.clone())),
    );
    let c = TestClient::new(App::new(AppSingletons {
        ids: RequestIds::new(),
        log: AccessLog::new(),
    }));
    c.get("/users/7?secret=1")
        .header("x-request-id", "req-1")
        .send()
        .await;
    c.get("/missing")
        .header("x-request-id", "req-2")
        .send()
        .await;
    // Other events are not this layer's.
    tracing::info!("not an access event");
    let lines = writes.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let first = without_stamp(&lines[0]);
    let (head, latency) = first.split_once(" latency_us=").unwrap();
    assert_eq!(
        head,
        "  INFO kiln::access: request method=GET route=/users/{id} path=/users/7 status=200"
    );
    let (micros, tail) = latency.split_once(' ').unwrap();
    assert!(micros.parse::<u64>().is_ok(), "{micros}");
    assert_eq!(tail, "bytes=6 request_id=req-1 peer=127.0.0.1:40000\n");
    // A 404 has no route field.
    let second = without_stamp(&lines[1]);
    assert!(
        second.starts_with("  INFO kiln::access: request method=GET path=/missing status=404 "),
        "{second}"
    );
}

#[test]
fn hostile_values_are_quoted_so_they_cannot_forge_fields_or_lines() {
    let writes = Writes::default();
    let _guard = tracing::subscriber::set_default(
        Registry::default().with(AccessLogLayer::new(writes.clone())),
    );
    tracing::warn!(
        target: "kiln::access",
        path = "/a\" status=200\n2026-01-01T00:00:00.000000Z  INFO kiln::access: request",
        request_id = "",
        bytes = 3_u64,
        complete = false,
        peer = tracing::field::display("with space"),
        "request"
    );
    let lines = writes.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        without_stamp(&lines[0]),
        "  WARN kiln::access: request \
         path=\"/a\\\" status=200\\n2026-01-01T00:00:00.000000Z  INFO kiln::access: request\" \
         request_id=\"\" bytes=3 complete=false peer=\"with space\"\n"
    );
}

#[test]
fn other_layers_skip_the_access_log() {
    let access = Writes::default();
    let others = Writes::default();
    let _guard = tracing::subscriber::set_default(
        Registry::default()
            .with(AccessLogLayer::new(access.clone()))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(others.clone())
                    .with_ansi(false)
                    .with_filter(skip_access_log()),
            ),
    );
    tracing::info!(target: "kiln::access", status = 200_u64, "request");
    tracing::info!(target: "app", "hello");
    assert_eq!(access.lines().len(), 1);
    let others = others.lines();
    assert_eq!(others.len(), 1, "{others:?}");
    assert!(others[0].contains("app: hello"), "{others:?}");
}
