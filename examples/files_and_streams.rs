//! Files and streams: a page served from `examples/static/` (`kiln::fs`)
//! with an upload form (multipart, streamed to temporary files), a clock
//! over server-sent events and a WebSocket echo.
//!
//! Run: `cargo run -p kiln-examples --example files_and_streams`, then open
//! <http://127.0.0.1:8085/static/> in a browser, or:
//!
//! ```sh
//! curl -F title=notes -F file=@Cargo.toml http://127.0.0.1:8085/upload
//! curl -N http://127.0.0.1:8085/clock                    # one event a second
//! curl -N -H 'last-event-id: 41' http://127.0.0.1:8085/clock   # resumes at 42
//! ```
//!
//! Ctrl-C shuts down gracefully: the clock streams end and the WebSockets
//! close with `1001 Going Away`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, Stream};
use kiln::fs::StaticDir;
use kiln::multipart::{Multipart, MultipartConfig};
use kiln::prelude::*;
use kiln::sse::{Event, KeepAlive, LastEventId, Sse};
use kiln::ws::{Message, WebSocketUpgrade};

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

/// The largest file accepted.
const MAX_FILE: u64 = 100 << 20;

#[handler]
fn home() -> Redirect {
    Redirect::see_other("/static/")
}

/// Streams each file to a temporary file (deleted when it goes out of scope)
/// and reports what arrived.
#[handler]
async fn upload(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
    let mut form = form.with_config(rules);
    let mut report = Vec::new();
    while let Some(field) = form.next_field().await? {
        let name = field.name().to_owned();
        if field.raw_file_name().is_some() {
            let sent_as = field.raw_file_name().unwrap_or_default().to_owned();
            let file = field.save_temp().await?;
            report.push(format!(
                "{name}: {:?} (sent as {sent_as:?}), {} bytes, {}",
                file.file_name().unwrap_or("(no usable name)"),
                file.len(),
                file.content_type().unwrap_or("no content type"),
            ));
        } else {
            report.push(format!("{name} = {:?}", field.text().await?));
        }
    }
    report.push(String::new());
    Ok(report.join("\n"))
}

/// One `tick` event a second with the UTC time; ids count seconds since the
/// connection began, resuming after the client's `Last-Event-ID`.
#[handler]
fn clock(LastEventId(last): LastEventId) -> Sse<impl Stream<Item = Event> + Send + 'static> {
    let first = last
        .and_then(|id| id.parse::<u64>().ok())
        .map_or(0, |n| n + 1);
    let ticks = stream::unfold(
        (first, tokio::time::interval(Duration::from_secs(1))),
        |(n, mut interval)| async move {
            interval.tick().await;
            let event = Event::new()
                .event("tick")
                .and_then(|e| e.id(n.to_string()))
                .expect("static name and numeric id")
                .data(utc_time());
            Some((event, (n + 1, interval)))
        },
    );
    Sse::new(ticks).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn utc_time() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Echoes text and binary messages until the client closes.
#[handler]
fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                let reply = match message {
                    Message::Text(text) => Message::text(format!("echo: {text}")),
                    Message::Binary(data) => Message::Binary(data),
                    _ => continue,
                };
                if socket.send(reply).await.is_err() {
                    break;
                }
            }
        })
}

chain! {
    struct FilesAndStreams;
    singletons { uploads: MultipartConfig, assets: StaticDir }
    routes {
        GET "/" => home,
        GET "/static/" => kiln::fs::dir,          // the directory itself: its index.html
        GET "/static/{*path}" => kiln::fs::dir,
        POST "/upload" => upload,
        GET "/clock" => clock,
        GET "/ws" => ws,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().init();
    let addr = "127.0.0.1:8085";
    let uploads = MultipartConfig::new()
        .allow_fields(["title", "file"])
        .field_limit(4096)
        .limit_for("file", MAX_FILE)
        .whole_limit(MAX_FILE + (1 << 20));
    // The page and its style sheet, found wherever the example is run from.
    let assets = StaticDir::builder(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
        .cache_control("no-cache")
        .build()
        .map_err(std::io::Error::other)?;
    let app = FilesAndStreams::new(FilesAndStreamsSingletons { uploads, assets });
    tracing::info!("serving on http://{addr}/static/\n{}", app.describe());
    // The server's body limit is the ceiling for every body: room for one file.
    let config = kiln::ServeConfig::default()
        .body_limit(usize::try_from(MAX_FILE).unwrap_or(usize::MAX) + (1 << 20));
    kiln::serve(app).config(config).bind(addr).await
}
