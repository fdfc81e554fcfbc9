//! Streamed bodies over real sockets: multipart uploads, server-sent events
//! and WebSockets.

#[path = "../support/mod.rs"]
mod support;

mod multipart;
mod sse;
mod websocket;
