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
//! connection sends, marks. The connection task looks every quarter of the
//! timeout and closes the connection once five looks in a row found no
//! request in flight and none begun since: between `idle_timeout` and 1.25 ×
//! `idle_timeout` after its last request ended. Per request this costs two
//! atomic additions, and no clock read.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::conn::ConnState;
use crate::{Body, BoxError, Response};

/// Requests begun (high 32 bits, wrapping) and in flight (low 32 bits) on
/// one connection, in one word so that each is one atomic operation.
pub(super) struct Activity(AtomicU64);

const ONE_BEGUN: u64 = 1 << 32;
const IN_FLIGHT: u64 = (1 << 32) - 1;

impl Activity {
    pub(super) fn new() -> Self {
        Activity(AtomicU64::new(0))
    }

    fn begin(&self) {
        self.0.fetch_add(ONE_BEGUN + 1, Ordering::AcqRel);
    }

    fn end(&self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }

    fn load(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// How many quiet looks in a row close the connection: five quarters of the
/// timeout, so never before it has passed.
const QUIET_LOOKS: u32 = 5;

/// The connection task's side: looks at an [`Activity`] every quarter of
/// the idle timeout.
pub(super) struct IdleWatch {
    seen: u64,
    quiet: u32,
    /// The time between two looks.
    pub(super) every: Duration,
}

impl IdleWatch {
    pub(super) fn new(timeout: Duration) -> Self {
        IdleWatch {
            seen: 0,
            quiet: 0,
            every: (timeout / 4).max(Duration::from_millis(1)),
        }
    }

    /// One look; `true` when the connection has been idle for the timeout.
    pub(super) fn look(&mut self, activity: &Activity) -> bool {
        let now = activity.load();
        if now & IN_FLIGHT == 0 && now == self.seen {
            self.quiet += 1;
        } else {
            self.quiet = 0;
            self.seen = now;
        }
        self.quiet >= QUIET_LOOKS
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
