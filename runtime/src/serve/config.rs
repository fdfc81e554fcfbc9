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
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | a connection that sends no complete head (or no request after its last response) is closed without a response |
/// | [`max_connections`](Self::max_connections) | 10 000 | no more connections are accepted until one closes (they wait in the kernel's backlog) |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB | `431 Request Header Fields Too Large`, connection closed |
/// | [`body_limit`](Self::body_limit) | 2 MiB | `413 Payload Too Large` |
/// | [`body_read_timeout`](Self::body_read_timeout) | 10 s | no chunk of a body a handler waits for: `408 body_timeout`, connection closed |
/// | [`body_total_timeout`](Self::body_total_timeout) | 60 s | a body not complete this long after its first read: `408 body_timeout`, connection closed |
/// | [`idle_timeout`](Self::idle_timeout) | 60 s | a connection with no request in flight is closed (HTTP/2: `GOAWAY` first) |
/// | [`keep_alive`](Self::keep_alive) | on | – |
/// | [`http2_keep_alive_interval`](Self::http2_keep_alive_interval) | 20 s | HTTP/2 connection closed when a PING goes unanswered for as long |
/// | [`http2_max_concurrent_streams`](Self::http2_max_concurrent_streams) | 256 | the client is told to wait (`SETTINGS_MAX_CONCURRENT_STREAMS`); a stream past it is refused (`RST_STREAM REFUSED_STREAM`) |
/// | [`max_header_size`](Self::max_header_size) (HTTP/2) | 16 KiB | `SETTINGS_MAX_HEADER_LIST_SIZE`; a larger decoded header list (however it is compressed or split into `CONTINUATION` frames) gets `431` or the connection is closed |
/// | [`http2_max_pending_accept_reset_streams`](Self::http2_max_pending_accept_reset_streams) | 20 | streams the client opened and reset before the server accepted them (rapid reset, CVE-2023-44487): `GOAWAY ENHANCE_YOUR_CALM` |
/// | [`http2_max_local_error_reset_streams`](Self::http2_max_local_error_reset_streams) | 256 | streams the server had to reset because the client broke the protocol: `GOAWAY ENHANCE_YOUR_CALM` |
/// | [`drain_timeout`](Self::drain_timeout) | 30 s | connections still open after a shutdown signal are dropped |
///
/// ## Keep-alive and the header-read timeout
///
/// The header-read timeout runs whenever a connection has no request in
/// flight and may still send an HTTP/1 head: from when it opens, and again
/// when a response on a kept-alive connection is finished. So it bounds both
/// a client that sends its head too slowly and a kept-alive HTTP/1 connection
/// that stays idle: an idle HTTP/1 connection is closed after the shorter of
/// `header_read_timeout` and [`idle_timeout`](Self::idle_timeout). Once a
/// connection has sent an HTTP/2 request it sends no heads, and
/// `idle_timeout` is what closes it when idle (HTTP/2 PINGs only find dead
/// peers). Both are checked every quarter of the shorter one, with no timer
/// per request, so a connection is closed between its timeout and a quarter
/// of the shorter timeout later.
///
/// ## Why these values
///
/// - Body timeouts: 10 s without a byte is as suspicious mid-body as
///   mid-head (the same value as `header_read_timeout`), and 60 s for a whole
///   body lets a 2 MiB body (the default limit) arrive at 35 KB/s. The timers
///   only run while a handler waits for the client, so a handler that reads
///   slowly on purpose is not cut off. Raise the total with the body limit
///   for upload routes.
/// - `idle_timeout`, 60 s: the common default of load balancers (AWS ALB,
///   nginx's 75 s `keepalive_timeout` is of the same order), so pooled HTTP/2
///   connections are reused rather than re-opened, while an idle client
///   holds a task and a socket for a minute at most. (Idle HTTP/1
///   connections are closed sooner, by the 10 s header timer.)
/// - HTTP/2: 256 streams is near hyper's own 200 and what browsers open; the
///   reset-stream limits are h2's (20) and a quarter of hyper's 1024, since a
///   client that makes the server reset 256 streams is not a browser.
///
/// Dropping a limit is a choice to make with a proxy in front:
///
/// ```
/// use std::time::Duration;
/// let uploads = kiln::ServeConfig::default()
///     .body_limit(512 * 1024 * 1024)
///     .body_total_timeout(Duration::from_secs(15 * 60))
///     .idle_timeout(Duration::from_secs(120));
/// # drop(uploads);
/// ```
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
    pub(crate) body_read_timeout: Duration,
    pub(crate) body_total_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) http2_max_pending_accept_reset_streams: usize,
    pub(crate) http2_max_local_error_reset_streams: usize,
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
            body_read_timeout: Duration::from_secs(10),
            body_total_timeout: Duration::from_mins(1),
            idle_timeout: Duration::from_mins(1),
            http2_max_pending_accept_reset_streams: 20,
            http2_max_local_error_reset_streams: 256,
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
    /// from when the server starts waiting for it (the connection opened, or
    /// its last response ended); so also the idle timeout of kept-alive
    /// HTTP/1 connections. The connection is closed between this and a
    /// quarter of the shorter of this and `idle_timeout` later.
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

    /// How long a handler reading the request body waits for its next chunk
    /// before the read fails with [`BodyTimeout`](crate::BodyTimeout) (`408`;
    /// the connection is then closed). Only time spent waiting for the
    /// client counts.
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long a request body may take in all, from its first read to its
    /// end, before the read fails with [`BodyTimeout`](crate::BodyTimeout)
    /// (`408`; the connection is then closed).
    #[must_use]
    pub fn body_total_timeout(mut self, timeout: Duration) -> Self {
        self.body_total_timeout = timeout;
        self
    }

    /// How long a connection may have no request in flight before it is
    /// closed (it is checked every quarter of the shorter of it and
    /// `header_read_timeout`, so the close comes between the timeout and that
    /// quarter later): HTTP/1 closes it (kept-alive HTTP/1 connections are also
    /// bounded by [`header_read_timeout`](Self::header_read_timeout)),
    /// HTTP/2 sends `GOAWAY` and closes it. A request counts as in flight
    /// from when its head has arrived until its response body is sent; set
    /// this no shorter than `header_read_timeout`, or a head still arriving
    /// on an otherwise idle HTTP/1 connection may be cut off with it.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many HTTP/2 streams a client may open and reset before the server
    /// accepted them, before the connection is closed with `GOAWAY`
    /// (`ENHANCE_YOUR_CALM`): the bound on "rapid reset" (CVE-2023-44487).
    #[must_use]
    pub fn http2_max_pending_accept_reset_streams(mut self, max: usize) -> Self {
        self.http2_max_pending_accept_reset_streams = max;
        self
    }

    /// How many HTTP/2 streams the server may have to reset for protocol
    /// errors of the client before the connection is closed with `GOAWAY`
    /// (`ENHANCE_YOUR_CALM`).
    #[must_use]
    pub fn http2_max_local_error_reset_streams(mut self, max: usize) -> Self {
        self.http2_max_local_error_reset_streams = max;
        self
    }
}
