//! Access log: one structured `tracing` event per request, with no work at
//! all when the event's level is disabled.

#[cfg(feature = "access-log-layer")]
mod layer;
mod peer;
mod stream;

use std::net::SocketAddr;
use std::time::Instant;

use http_body::Body as _;
use tracing::Level;

#[cfg(feature = "access-log-layer")]
pub use self::layer::{AccessLogLayer, skip_access_log};
use self::peer::PeerText;
use self::stream::{Counted, Pending};
use super::{RequestId, SocketPeer};
use crate::{Request, Response, RoutePattern, middleware};

/// The access log middleware: emits one `tracing` event per request, target
/// `kiln::access`, at the configured level (default `INFO`), with the fields
///
/// | field | value |
/// |---|---|
/// | `method` | `GET` |
/// | `route` | the matched pattern, `/users/{id}`; absent for 404/405 |
/// | `path` | `/users/7` (no query string: it may carry secrets) |
/// | `status` | `200` |
/// | `latency_us` | microseconds from its `pre` to its `post` hook |
/// | `bytes` | the response body size; for a streamed body (SSE, a file, a compressed body), the bytes sent |
/// | `complete` | only for streamed bodies: `false` when the client went away before the end |
/// | `request_id` | the id from [`RequestIds`](super::RequestIds), which it needs |
/// | `peer` | the client socket address, when known |
///
/// A streamed body's size is not known when the post hook runs, so for
/// those the event is written when the body ends (or is dropped because the
/// client went away), with the bytes actually sent and `latency_us` up to
/// that moment; the body is wrapped in a counter for it (one allocation, and
/// a copy of the path, only while the event is enabled).
///
/// The `pre` hook asks `tracing` whether the event is enabled (a static level
/// check plus the callsite's cached interest); when it is not, neither hook
/// reads the clock or anything else. Formatting and writing are the
/// subscriber's (`tracing-subscriber`'s `fmt`, JSON, OpenTelemetry, ...);
#[cfg_attr(
    feature = "access-log-layer",
    doc = "[`AccessLogLayer`](super::AccessLogLayer) (feature `access-log-layer`)"
)]
#[cfg_attr(
    not(feature = "access-log-layer"),
    doc = "`AccessLogLayer` (feature `access-log-layer`)"
)]
/// writes them as logfmt lines at about a quarter of `fmt`'s cost.
///
/// Default priority -80: outside auth, rate limits, timeouts and panics, so
/// their 401/429/504/500 are logged; inside [`RequestIds`](super::RequestIds).
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{AccessLog, RequestIds};
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { ids: RequestIds, log: AccessLog }
///     middleware { kiln::builtin::RequestIds, kiln::builtin::AccessLog }
///     routes { GET "/" => index }
/// }
///
/// // With a subscriber installed (e.g. `tracing_subscriber::fmt::init()`), each
/// // request logs `INFO kiln::access: request method=GET route=/ path=/ status=200 ...`.
/// let app = App::new(AppSingletons { ids: RequestIds::new(), log: AccessLog::new() });
/// ```
#[derive(Debug, Clone)]
pub struct AccessLog {
    level: Level,
    server_error_level: Level,
}

impl Default for AccessLog {
    fn default() -> Self {
        AccessLog::new()
    }
}

impl AccessLog {
    /// Logs every request at `INFO`.
    #[must_use]
    pub fn new() -> Self {
        AccessLog {
            level: Level::INFO,
            server_error_level: Level::INFO,
        }
    }

    /// Starts a configuration.
    pub fn builder() -> AccessLogBuilder {
        AccessLogBuilder(AccessLog::new())
    }

    fn enabled(&self) -> bool {
        enabled(self.level)
            || (self.server_error_level != self.level && enabled(self.server_error_level))
    }
}

/// Builds an [`AccessLog`] configuration (nothing to validate: every
/// combination is valid).
#[derive(Debug, Clone)]
#[must_use]
pub struct AccessLogBuilder(AccessLog);

impl AccessLogBuilder {
    /// The level of the events (default `INFO`).
    pub fn level(mut self, level: Level) -> Self {
        self.0.level = level;
        self.0.server_error_level = level;
        self
    }

    /// The level of events for 5xx responses (default: the same as `level`),
    /// e.g. `WARN` to see server errors when `INFO` is filtered out.
    pub fn server_error_level(mut self, level: Level) -> Self {
        self.0.server_error_level = level;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn build(self) -> AccessLog {
        self.0
    }
}

/// What [`AccessLog`]'s `pre` hook noted; `None` when the event is disabled.
#[derive(Debug, Clone, Copy)]
pub struct AccessLogStart(Option<Started>);

#[derive(Debug, Clone, Copy)]
struct Started {
    at: Instant,
    route: Option<&'static str>,
    peer: Option<SocketAddr>,
}

/// `tracing::enabled!` needs a constant level: one callsite per level.
fn enabled(level: Level) -> bool {
    match level {
        Level::ERROR => tracing::enabled!(target: "kiln::access", Level::ERROR),
        Level::WARN => tracing::enabled!(target: "kiln::access", Level::WARN),
        Level::INFO => tracing::enabled!(target: "kiln::access", Level::INFO),
        Level::DEBUG => tracing::enabled!(target: "kiln::access", Level::DEBUG),
        Level::TRACE => tracing::enabled!(target: "kiln::access", Level::TRACE),
    }
}

#[middleware(priority = -80, pre_route, post_route)]
impl AccessLog {
    /// Notes the time, route and peer, if the event is enabled.
    #[inline]
    #[must_use]
    pub fn pre(&self, route: RoutePattern, peer: SocketPeer) -> AccessLogStart {
        if !self.enabled() {
            return AccessLogStart(None);
        }
        AccessLogStart(Some(Started {
            at: Instant::now(),
            route: route.0,
            peer: peer.0,
        }))
    }

    /// Emits the event.
    #[inline]
    pub fn post(&self, start: &AccessLogStart, id: &RequestId, req: &Request, res: &mut Response) {
        if let Some(s) = start.0 {
            self.emit(&s, id, req, res);
        }
    }
}

impl AccessLog {
    #[inline(never)] // keeps the disabled path of `post` small
    fn emit(&self, s: &Started, id: &RequestId, req: &Request, res: &mut Response) {
        let level = if res.status().is_server_error() {
            self.server_error_level
        } else {
            self.level
        };
        let status = res.status().as_u16();
        if res.body().is_stream() {
            let record = Pending {
                level,
                method: req.method().clone(),
                path: req.uri().path().to_owned(),
                status,
                started: *s,
                id: id.clone(),
            };
            let body = std::mem::take(res.body_mut());
            *res.body_mut() = Counted::around(body, record);
            return;
        }
        let record = Record {
            method: req.method().as_str(),
            route: s.route,
            path: req.uri().path(),
            status,
            latency_us: elapsed_us(s.at),
            bytes: res.body().size_hint().exact(),
            request_id: id.as_str(),
            peer: s.peer,
            complete: None,
        };
        record.emit(level);
    }
}

fn elapsed_us(at: Instant) -> u64 {
    u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The fields of one event.
struct Record<'a> {
    method: &'a str,
    route: Option<&'static str>,
    path: &'a str,
    status: u16,
    latency_us: u64,
    bytes: Option<u64>,
    request_id: &'a str,
    peer: Option<SocketAddr>,
    complete: Option<bool>,
}

impl Record<'_> {
    fn emit(&self, level: Level) {
        let mut text = PeerText::new();
        let peer = self.peer.map(|addr| text.format(addr));
        macro_rules! event {
            ($lvl:expr) => {
                tracing::event!(
                    target: "kiln::access",
                    $lvl,
                    method = self.method,
                    route = self.route,
                    path = self.path,
                    status = self.status,
                    latency_us = self.latency_us,
                    bytes = self.bytes,
                    request_id = self.request_id,
                    peer,
                    complete = self.complete,
                    "request"
                )
            };
        }
        match level {
            Level::ERROR => event!(Level::ERROR),
            Level::WARN => event!(Level::WARN),
            Level::INFO => event!(Level::INFO),
            Level::DEBUG => event!(Level::DEBUG),
            Level::TRACE => event!(Level::TRACE),
        }
    }
}
