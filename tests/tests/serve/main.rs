//! Serving over real sockets: HTTP/1.1 and h2c, extractors, limits, tower interop.

#[path = "../support/mod.rs"]
mod support;

mod extract;
mod http;
mod limits;
mod slow_clients;
mod test_client;
mod tower_interop;
