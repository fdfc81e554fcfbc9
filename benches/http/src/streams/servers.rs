//! The stream servers: the same three routes in kiln and in axum.
//!
//! - `POST /upload`: a multipart form, each file streamed into a temporary
//!   file (256 KiB write buffer) that is deleted afterwards; answers the bytes stored.
//! - `GET /events`: server-sent events from one broadcast channel that a
//!   producer feeds with an event every millisecond (fan-out: every client
//!   gets every event it keeps up with).
//! - `GET /ws`: a WebSocket that echoes text and binary messages.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;

/// The fan-out channel and its producer.
pub(crate) fn hub() -> broadcast::Sender<String> {
    let (tx, _) = broadcast::channel(1024);
    let producer = tx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        for n in 0u64.. {
            tick.tick().await;
            // No subscriber is not an error: the event is simply not delivered.
            let _ = producer.send(format!("tick {n}"));
        }
    });
    tx
}

/// A receiver as a stream; lagging receivers skip what they missed.
pub(crate) fn subscribe(
    rx: broadcast::Receiver<String>,
) -> impl Stream<Item = String> + Send + 'static {
    stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => return Some((e, rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// Serves the kiln app until the process is killed.
pub(crate) async fn kiln(addr: SocketAddr, temp: PathBuf) {
    super::kiln_app::serve(addr, temp, hub()).await;
}

/// Serves the axum app until the process is killed.
pub(crate) async fn axum(addr: SocketAddr, temp: PathBuf) {
    use axum::extract::ws::{WebSocket, WebSocketUpgrade};
    use axum::extract::{DefaultBodyLimit, Multipart, State};
    use axum::response::sse::{Event, Sse};
    use axum::routing::{get, post};
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    #[derive(Clone)]
    struct St {
        hub: broadcast::Sender<String>,
        temp: PathBuf,
    }

    async fn upload(State(st): State<St>, mut form: Multipart) -> String {
        let mut total = 0u64;
        while let Some(mut field) = form.next_field().await.unwrap() {
            let (file, path) = tempfile::NamedTempFile::new_in(&st.temp)
                .unwrap()
                .into_parts();
            let mut sink =
                tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
            while let Some(chunk) = field.chunk().await.unwrap() {
                total += chunk.len() as u64;
                sink.write_all(&chunk).await.unwrap();
            }
            sink.flush().await.unwrap();
            drop(path);
        }
        total.to_string()
    }

    async fn events(State(st): State<St>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        Sse::new(subscribe(st.hub.subscribe()).map(|e| Ok(Event::default().data(e))))
    }

    async fn ws(upgrade: WebSocketUpgrade) -> axum::response::Response {
        upgrade
            .max_message_size(1 << 20)
            .on_upgrade(|mut socket: WebSocket| async move {
                while let Some(Ok(m)) = socket.recv().await {
                    let data = matches!(
                        m,
                        axum::extract::ws::Message::Text(_) | axum::extract::ws::Message::Binary(_)
                    );
                    if data && socket.send(m).await.is_err() {
                        break;
                    }
                }
            })
    }

    let st = St { hub: hub(), temp };
    let app = axum::Router::new()
        .route("/upload", post(upload))
        .route("/events", get(events))
        .route("/ws", get(ws))
        .layer(DefaultBodyLimit::disable())
        .with_state(st);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
