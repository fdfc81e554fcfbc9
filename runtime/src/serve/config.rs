//! Server limits and timeouts, with their defaults.

use std::time::Duration;

use crate::conn::DEFAULT_BODY_LIMIT;

/// Limits and timeouts of a [`Server`](crate::Server).
///
/// Every setting has a default suited to a service behind a load balancer;
/// change the ones you need:
///
/// ```
/// use std::time::Duration;
/// let config = kiln::ServeConfig::default()
///     .body_limit(64 * 1024)
///     .header_read_timeout(Duration::from_secs(5));
/// # drop(config);
/// ```
///
/// | setting | default | when exceeded |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | HTTP/1 connection closed without a response |
/// | [`max_connections`](Self::max_connections) | 10 000 | no more connections are accepted until one closes (they wait in the kernel's backlog) |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB | `431 Request Header Fields Too Large`, connection closed |
/// | [`body_limit`](Self::body_limit) | 2 MiB | `413 Payload Too Large` |
/// | [`keep_alive`](Self::keep_alive) | on | – |
/// | [`http2_keep_alive_interval`](Self::http2_keep_alive_interval) | 20 s | HTTP/2 connection closed when a PING goes unanswered for as long |
/// | [`http2_max_concurrent_streams`](Self::http2_max_concurrent_streams) | 256 | the client is told to wait (`SETTINGS_MAX_CONCURRENT_STREAMS`) |
/// | [`drain_timeout`](Self::drain_timeout) | 30 s | connections still open after a shutdown signal are dropped |
///
/// ## Keep-alive and the header-read timeout
///
/// hyper starts its HTTP/1 header timer as soon as it waits for a request head:
/// when a connection opens, and again when a response on a kept-alive
/// connection is finished. So one timer bounds both a client that sends its
/// head too slowly and a kept-alive connection that stays idle:
/// `header_read_timeout` *is* the HTTP/1 keep-alive idle timeout. HTTP/2
/// connections are kept alive with PINGs instead.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_header_size: usize,
    pub(crate) body_limit: usize,
    pub(crate) keep_alive: bool,
    pub(crate) http2_keep_alive_interval: Option<Duration>,
    pub(crate) http2_max_concurrent_streams: u32,
    pub(crate) drain_timeout: Duration,
}

/// hyper's smallest read buffer; a smaller header limit cannot be enforced.
const MIN_HEADER_SIZE: usize = 8192;

impl Default for Config {
    fn default() -> Self {
        Config {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_header_size: 16 * 1024,
            body_limit: DEFAULT_BODY_LIMIT,
            keep_alive: true,
            http2_keep_alive_interval: Some(Duration::from_secs(20)),
            http2_max_concurrent_streams: 256,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// The defaults (see the table above).
    #[must_use]
    pub fn new() -> Self {
        Config::default()
    }

    /// How long a client may take to send a complete request head, counted
    /// from when the server starts waiting for it; also the idle timeout of
    /// kept-alive HTTP/1 connections.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The most connections served at once; further clients wait in the
    /// listen backlog until a connection closes.
    ///
    /// # Panics
    /// If `max` is 0.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        assert!(max > 0, "max_connections must be at least 1");
        self.max_connections = max;
        self
    }

    /// The largest request head (request line and headers) in bytes; larger
    /// heads get `431`. Values below 8 KiB are raised to 8 KiB, hyper's
    /// smallest read buffer. For HTTP/2 this is the header list size limit.
    #[must_use]
    pub fn max_header_size(mut self, max: usize) -> Self {
        self.max_header_size = max.max(MIN_HEADER_SIZE);
        self
    }

    /// The largest request body in bytes, for every route that does not
    /// declare its own (`#[limit(body = ..)]` in `chain!`, larger or smaller).
    /// Whatever reads the body enforces it, inside the app's chain: a
    /// `Content-Length` above it is a `413` before a byte is read, a stream
    /// fails once it goes past it, and the `413` passes the chain's post hooks
    /// (CORS, request id, ...) like any other error. Becomes
    /// [`ConnInfo::body_limit`](crate::ConnInfo::body_limit).
    #[must_use]
    pub fn body_limit(mut self, max: usize) -> Self {
        self.body_limit = max;
        self
    }

    /// Whether HTTP/1.1 connections are kept open between requests.
    #[must_use]
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.keep_alive = on;
        self
    }

    /// How often an idle HTTP/2 connection is PINGed (and how long a PING may
    /// go unanswered before the connection is closed); `None` turns PINGs off.
    #[must_use]
    pub fn http2_keep_alive_interval(mut self, interval: Option<Duration>) -> Self {
        self.http2_keep_alive_interval = interval;
        self
    }

    /// The most concurrent streams (requests) on one HTTP/2 connection.
    #[must_use]
    pub fn http2_max_concurrent_streams(mut self, max: u32) -> Self {
        self.http2_max_concurrent_streams = max;
        self
    }

    /// After a shutdown signal, how long in-flight requests may take before
    /// their connections are dropped.
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }
}
