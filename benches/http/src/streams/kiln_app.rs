//! The kiln server of the stream scenarios (see `servers`).

use std::net::SocketAddr;
use std::path::PathBuf;

use futures_util::StreamExt;
use kiln::multipart::{Multipart, MultipartConfig};
use kiln::prelude::*;
use kiln::sse::{Event, Sse};
use kiln::ws::WebSocketUpgrade;
use tokio::sync::broadcast;

use super::servers::subscribe;

/// The fan-out channel.
pub(crate) struct Hub(broadcast::Sender<String>);

#[handler]
async fn upload(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
    let mut form = form.with_config(rules);
    let mut total = 0;
    while let Some(field) = form.next_field().await? {
        total += field.save_temp().await?.len();
    }
    Ok(total.to_string())
}

#[handler]
fn events(hub: &Hub) -> impl IntoResponse {
    Sse::new(subscribe(hub.0.subscribe()).map(|e| Event::new().data(e))).no_keep_alive()
}

#[handler]
fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(1 << 20)
        .on_upgrade(|mut socket| async move {
            while let Some(Ok(m)) = socket.recv().await {
                if m.is_data() && socket.send(m).await.is_err() {
                    break;
                }
            }
        })
}

chain! {
    struct Streams;
    singletons { rules: MultipartConfig, hub: Hub }
    routes {
        POST "/upload" => upload,
        GET "/events" => events,
        GET "/ws" => ws,
    }
}

/// Serves until the process is killed.
pub(crate) async fn serve(addr: SocketAddr, temp: PathBuf, hub: broadcast::Sender<String>) {
    let rules = MultipartConfig::new()
        .temp_dir(temp)
        .limit_for("file", u64::MAX);
    let app = Streams::new(StreamsSingletons {
        rules,
        hub: Hub(hub),
    });
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let config = kiln::ServeConfig::default()
        .body_limit(usize::MAX)
        .max_connections(100_000);
    kiln::serve(app)
        .config(config)
        .with_shutdown(std::future::pending())
        .listen(listener)
        .await
        .expect("serve");
}
