//! Server-sent events (feature `sse`): a `text/event-stream` response from
//! any `Stream` of [`Event`]s.
//!
//! [`Sse`] is a response: return it from a handler. Each event is written as
//! soon as the stream yields it (no buffering), a comment goes out when the
//! stream has been idle for the [`KeepAlive`] interval (15 s by default) so
//! that proxies keep the connection open, and the stream ends
//!
//! - when it ends itself;
//! - when the client goes away: the server stops polling and drops the
//!   stream, so whatever it holds (a channel receiver, a subscription) is
//!   released; the next write fails at the latest, and the keep-alive
//!   comment makes sure there is one;
//! - when the server shuts down ([`serve`](crate::serve)'s signal): after the
//!   event at hand, with a clean end of the response, so the drain does not
//!   wait for an endless stream. The browser then reconnects to another
//!   instance, sending [`LastEventId`].
//!
//! ```
//! use std::time::Duration;
//! use kiln::prelude::*;
//! use kiln::sse::{Event, KeepAlive, LastEventId, Sse};
//!
//! /// Counts up from the id after the client's `Last-Event-ID`.
//! #[handler]
//! fn counter(LastEventId(last): LastEventId) -> impl IntoResponse {
//!     let start = last.and_then(|id| id.parse::<u64>().ok()).map_or(0, |n| n + 1);
//!     let events = Counter(start..start + 3);
//!     Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
//! }
//!
//! struct Counter(std::ops::Range<u64>);
//! impl futures_core::Stream for Counter {
//!     type Item = Result<Event, kiln::sse::InvalidEvent>;
//!     fn poll_next(
//!         mut self: std::pin::Pin<&mut Self>,
//!         _: &mut std::task::Context<'_>,
//!     ) -> std::task::Poll<Option<Self::Item>> {
//!         std::task::Poll::Ready(self.0.next().map(|n| Ok(Event::new().id(n.to_string())?.data(format!("n = {n}")))))
//!     }
//! }
//!
//! chain! {
//!     struct Events;
//!     routes { GET "/events" => counter }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let client = TestClient::new(Events::new());
//! let res = client.get("/events").header("last-event-id", "41").send().await;
//! assert_eq!(res.header("content-type"), Some("text/event-stream"));
//! assert_eq!(res.text(), "id: 42\ndata: n = 42\n\nid: 43\ndata: n = 43\n\nid: 44\ndata: n = 44\n\n");
//! # });
//! ```
//!
//! The stream's items are [`Event`]s or `Result<Event, E>`: an `Err` is
//! logged (`warn`) and ends the response cleanly after the events before it
//! (aborting it could lose events still buffered; an `EventSource`
//! reconnects after either).
//!
//! HTTP/1.1 responses are chunked; over HTTP/2 each event is a DATA frame.
//! The built-in middleware decorate the response like any other (CORS,
//! security headers, request id, `Server-Timing` for the time to the first
//! byte); the access log has no `bytes` for it, as for every streamed body.

mod body;
mod event;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::error::{Error, code};
use crate::{Body, BoxError, Extracting, FromRequest, IntoResponse, Request, RequestCx, Response};

pub use event::{Event, InvalidEvent};

/// A server-sent event response: build it with [`Sse::new`] and return it.
#[must_use = "an `Sse` does nothing unless returned as a response"]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<KeepAlive>,
}

impl<S> std::fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<S> Sse<S>
where
    S: futures_core::Stream + Send + 'static,
    S::Item: IntoEvent,
{
    /// A response that sends the events of `stream`, with the default keep-alive.
    pub fn new(stream: S) -> Self {
        Sse {
            stream,
            keep_alive: Some(KeepAlive::new()),
        }
    }

    /// Replaces the keep-alive settings.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// Sends no keep-alive comments.
    pub fn no_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: futures_core::Stream + Send + 'static,
    S::Item: IntoEvent,
{
    fn into_response(self) -> Response {
        // Subscribed here, inside the request's task, where the server's
        // notice is set.
        let shutdown = crate::serve::ShutdownWatch::current();
        let body = body::SseBody::new(self.stream, self.keep_alive, shutdown);
        let mut res = Response::new(Body::wrap(body));
        *res.status_mut() = StatusCode::OK;
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Tells nginx-style proxies not to buffer the stream.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        res
    }
}

/// What a stream passed to [`Sse::new`] may yield: an [`Event`], or a
/// `Result<Event, E>` whose `Err` ends the response (cleanly, logged).
pub trait IntoEvent: Send + 'static {
    /// The event, or the error that ends the stream.
    ///
    /// # Errors
    /// When the stream failed.
    fn into_event(self) -> Result<Event, BoxError>;
}

impl IntoEvent for Event {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(self)
    }
}

impl<E: Into<BoxError> + Send + 'static> IntoEvent for Result<Event, E> {
    fn into_event(self) -> Result<Event, BoxError> {
        self.map_err(Into::into)
    }
}

/// Keep-alive comments: sent when no event went out for `interval`.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    interval: Duration,
    comment: Bytes,
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::new()
    }
}

impl KeepAlive {
    /// Every 15 s of silence, an empty comment (`:\n\n`).
    #[must_use]
    pub fn new() -> Self {
        KeepAlive {
            interval: Duration::from_secs(15),
            comment: Bytes::from_static(b":\n\n"),
        }
    }

    /// How long the stream may stay silent before a comment is sent.
    ///
    /// # Panics
    /// If `interval` is zero.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        assert!(
            !interval.is_zero(),
            "a keep-alive interval must not be zero"
        );
        self.interval = interval;
        self
    }

    /// The comment's text (line breaks start new comment lines).
    #[must_use]
    pub fn text(mut self, text: &str) -> Self {
        self.comment = Event::new().comment(text).into_bytes();
        self
    }
}

/// The client's `Last-Event-ID` header: the id of the last event it saw,
/// sent when an `EventSource` reconnects; `None` on a first connection.
///
/// A value that is not UTF-8 is a `400` (code `invalid_header`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LastEventId(pub Option<String>);

// `FromRequest` (ready at once, no allocation) rather than `FromRequestParts`:
// the two are equivalent for every consumer `chain!` generates.
impl FromRequest for LastEventId {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, _: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        Extracting::ready(match req.headers().get("last-event-id") {
            None => Ok(LastEventId(None)),
            Some(v) => v
                .to_str()
                .map(|s| LastEventId(Some(s.to_owned())))
                .map_err(|_| {
                    Error::new(StatusCode::BAD_REQUEST, code::INVALID_HEADER)
                        .message("invalid header `last-event-id`: not text")
                }),
        })
    }
}
