//! The idle timeout: a connection with no request in flight for
//! [`Config::idle_timeout`](super::Config::idle_timeout) is closed
//! gracefully (HTTP/1: closed; HTTP/2: `GOAWAY`, then closed).
//!
//! hyper has no such timeout for HTTP/2 (its PINGs only detect dead peers, and
//! a live client answers them forever), and for HTTP/1 only the header-read
//! timer, which also bounds a kept-alive connection. So each connection counts
//! its requests in flight in an [`Activity`]: a request is busy from the moment
//! hyper hands it over until its response body has been sent (or dropped, when
//! the client goes away), which is what [`Active`], the response body type the
//! connection sends, marks. The connection task sleeps until the idle deadline
//! and checks; nothing runs per request beyond two atomic operations and one
//! clock read when a response ends.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::Instant;

use super::conn::ConnState;
use crate::{Body, BoxError, Response};

/// Requests in flight on one connection, and when the last one ended.
pub(super) struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    /// Nanoseconds from `opened` to the end of the latest request.
    last_end: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Self {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_end: AtomicU64::new(0),
        }
    }

    fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    fn end(&self) {
        let since_open = u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
        // Stored before the count drops, so a reader that sees none in flight
        // sees this end too; `max` because concurrent HTTP/2 streams race here.
        self.last_end.fetch_max(since_open, Ordering::AcqRel);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// How long the connection has had no request in flight at `now`;
    /// `None` while one is.
    pub(super) fn idle_for(&self, now: Instant) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last_end = self.opened + Duration::from_nanos(self.last_end.load(Ordering::Acquire));
        Some(now.saturating_duration_since(last_end))
    }
}

/// The body of a response as the connection sends it: the app's [`Body`],
/// and the mark that keeps the connection busy until it is dropped.
pub(super) struct Active<A> {
    state: Arc<ConnState<A>>,
    body: Body,
}

impl<A> Active<A> {
    /// Marks a request in flight on the connection of `state`.
    pub(super) fn new(state: Arc<ConnState<A>>) -> Self {
        state.activity.begin();
        Active {
            state,
            body: Body::empty(),
        }
    }

    /// The connection's state.
    pub(super) fn state(&self) -> &ConnState<A> {
        &self.state
    }

    /// The response to send, still busy until its body is done.
    pub(super) fn attach(mut self, res: Response) -> http::Response<Self> {
        res.map(|body| {
            self.body = body;
            self
        })
    }
}

impl<A> Drop for Active<A> {
    fn drop(&mut self) {
        self.state.activity.end();
    }
}

impl<A> http_body::Body for Active<A> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
