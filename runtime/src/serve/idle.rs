//! The idle timeouts: a connection with no request in flight is closed once
//! it has been so for [`Config::header_read_timeout`](super::Config::header_read_timeout)
//! while it may still send an HTTP/1 head, and for
//! [`Config::idle_timeout`](super::Config::idle_timeout) in any case (HTTP/1:
//! closed; HTTP/2: `GOAWAY`, then closed).
//!
//! hyper has no idle timeout for HTTP/2 (its PINGs only detect dead peers, and
//! a live client answers them forever), and its HTTP/1 header-read timer
//! allocates a timer (and registers it with tokio's timer wheel) for every
//! request. So each connection counts its requests in flight in an
//! [`Activity`] instead: a request is busy from the moment hyper hands it over
//! until its response body has been sent (or dropped, when the client goes
//! away), which is what [`Active`], the response body type the connection
//! sends, marks. The connection task looks every quarter of the shorter
//! timeout and acts once enough looks in a row found no request in flight and
//! none begun since: between a timeout and a quarter of the shorter one after
//! the last request ended. Per request this costs two atomic additions, no
//! clock read and no timer.
//!
//! No request in flight on a connection that may still send an HTTP/1 head
//! (every connection until its first HTTP/2 request) means it is idle between
//! requests or sending a head too slowly, and both get the header-read
//! timeout: the connection is dropped, as hyper's own timer would, since a
//! half-read head is no request to finish (and hyper's graceful close would
//! keep waiting for it).

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

/// What a look at a connection's activity found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    /// A request in flight or begun since the last look, or not quiet long enough.
    Busy,
    /// Quiet for the header-read timeout, and it may still send an HTTP/1 head.
    HeadTimedOut,
    /// Quiet for the idle timeout.
    Idle,
}

/// The connection task's side: looks at an [`Activity`] every quarter of
/// the shorter timeout.
pub(super) struct IdleWatch {
    seen: u64,
    quiet: u32,
    /// Quiet looks in a row that make the header-read and the idle timeout.
    head_looks: u32,
    idle_looks: u32,
    /// The time between two looks.
    pub(super) every: Duration,
}

impl IdleWatch {
    pub(super) fn new(header_read: Duration, idle: Duration) -> Self {
        let every = (header_read.min(idle) / 4).max(Duration::from_millis(1));
        // The look that saw the last change came at most `every` after it,
        // so `n` quiet looks after it close `n * every` to `(n + 1) * every`
        // after the last request: `n = timeout / every`, rounded up.
        let looks = |timeout: Duration| {
            let n = timeout.as_nanos().div_ceil(every.as_nanos()).max(1);
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        IdleWatch {
            seen: 0,
            quiet: 0,
            head_looks: looks(header_read),
            idle_looks: looks(idle),
            every,
        }
    }

    /// One look; `http2` once the connection has served an HTTP/2 request
    /// (it sends no HTTP/1 head then).
    pub(super) fn look(&mut self, activity: &Activity, http2: bool) -> Look {
        let now = activity.load();
        if now & IN_FLIGHT == 0 && now == self.seen {
            self.quiet = self.quiet.saturating_add(1);
        } else {
            self.quiet = 0;
            self.seen = now;
        }
        if !http2 && self.quiet >= self.head_looks {
            Look::HeadTimedOut
        } else if self.quiet >= self.idle_looks {
            Look::Idle
        } else {
            Look::Busy
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_count_quiet_quarters_of_the_shorter_timeout() {
        let activity = Activity::new();
        let mut watch = IdleWatch::new(Duration::from_secs(10), Duration::from_mins(1));
        assert_eq!(watch.every, Duration::from_millis(2500));
        // A new connection: its fourth quiet look (10 s) times out the head.
        for _ in 0..3 {
            assert_eq!(watch.look(&activity, false), Look::Busy);
        }
        assert_eq!(watch.look(&activity, false), Look::HeadTimedOut);
        // An HTTP/2 connection waits for the idle timeout: 24 quiet looks.
        let mut watch = IdleWatch::new(Duration::from_secs(10), Duration::from_mins(1));
        for _ in 0..23 {
            assert_eq!(watch.look(&activity, true), Look::Busy);
        }
        assert_eq!(watch.look(&activity, true), Look::Idle);
    }

    #[test]
    fn a_request_in_flight_or_begun_since_is_not_quiet() {
        let activity = Activity::new();
        let mut watch = IdleWatch::new(Duration::from_secs(1), Duration::from_secs(1));
        activity.begin();
        for _ in 0..10 {
            assert_eq!(watch.look(&activity, false), Look::Busy, "in flight");
        }
        activity.end();
        // The look that sees the end is not quiet; four after it are.
        for _ in 0..4 {
            assert_eq!(watch.look(&activity, false), Look::Busy);
        }
        // A whole request between two looks resets the count.
        activity.begin();
        activity.end();
        for _ in 0..4 {
            assert_eq!(watch.look(&activity, false), Look::Busy);
        }
        assert_eq!(watch.look(&activity, false), Look::HeadTimedOut);
    }
}
