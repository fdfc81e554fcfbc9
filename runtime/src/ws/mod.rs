//! WebSockets (feature `ws`): a [`WebSocketUpgrade`] extractor over hyper's
//! HTTP/1.1 upgrade, and a [`WebSocket`] on
//! [tokio-tungstenite](https://docs.rs/tokio-tungstenite).
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::ws::{Message, WebSocketUpgrade};
//!
//! /// Echoes text and binary messages until the client closes.
//! #[handler]
//! fn echo(upgrade: WebSocketUpgrade) -> Response {
//!     upgrade.max_message_size(64 * 1024).on_upgrade(|mut socket| async move {
//!         while let Some(Ok(message)) = socket.recv().await {
//!             if message.is_data() && socket.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! chain! {
//!     struct Live;
//!     routes { GET "/ws" => echo }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // A plain GET is not a handshake: 426 Upgrade Required.
//! let res = TestClient::new(Live::new()).get("/ws").send().await;
//! assert_eq!(res.status(), StatusCode::UPGRADE_REQUIRED);
//! assert_eq!(res.header("upgrade"), Some("websocket"));
//! # });
//! ```
//!
//! # What the socket does for you
//!
//! - The opening handshake is checked (RFC 6455 section 4.2) and answered;
//!   subprotocols are negotiated with [`WebSocketUpgrade::protocols`].
//! - Middleware run on the upgrade request as on any other: an auth, CORS or
//!   rate-limit rejection is answered before the upgrade, and post hooks
//!   decorate the `101` response (request id, security headers, access log).
//! - Fragmented messages are reassembled; messages and frames above their
//!   limits (1 MiB by default) close the connection with `1009`, invalid
//!   UTF-8 with `1007`, protocol violations (an unmasked client frame, a bad
//!   close code, reserved bits) with `1002`; pings are answered; a peer's
//!   close is echoed.
//! - `send` waits until the message is written: a client that does not read
//!   holds up its own sender, and nothing queues in memory (per-connection
//!   backpressure); reading is as fast as the handler calls `recv`.
//! - On server shutdown every socket sends `1001 Going Away`, waits for the
//!   answer (at most the close timeout), and ends; the server's drain waits
//!   for them within its drain timeout.
//!
//! # Why tokio-tungstenite
//!
//! Measured against fastwebsockets behind the same bare hyper server
//! (`cargo run -p kiln-http-suite --release --bin ws_libs`, 50 connections in
//! lockstep, one server thread, on a shared 2-core machine): fastwebsockets
//! echoed 23.4k 20-byte messages/s against tokio-tungstenite's 12.4k, and
//! 15.2k against 12.0k at 16 KiB. kiln builds on tokio-tungstenite anyway:
//! it reassembles fragments and validates UTF-8, close codes and masking
//! itself, has separate message and frame limits, is what axum and most of
//! the ecosystem use (so the comparison with axum is on one library), while
//! fastwebsockets has a single size limit and leaves fragment collection
//! and the close handshake to the caller's wiring. The public types here
//! ([`Message`], [`Text`], [`CloseFrame`]) are kiln's own, so the backend
//! can change without breaking handlers.
//!
//! # HTTP/2
//!
//! WebSockets over HTTP/2 (RFC 8441's extended `CONNECT`) are not
//! supported: the server does not announce `SETTINGS_ENABLE_CONNECT_PROTOCOL`,
//! so browsers open WebSockets over HTTP/1.1 even when the page came over
//! HTTP/2. A `WebSocketUpgrade` extracted from an HTTP/2 request is a `405`
//! (`CONNECT`) or a `426`.

mod message;
mod socket;
mod upgrade;

pub use message::{CloseCode, CloseFrame, Message, Text};
pub use socket::{WebSocket, WsError};
pub use upgrade::WebSocketUpgrade;
