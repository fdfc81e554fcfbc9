//! Request body read timeouts: how long the server waits for the next chunk
//! of a body, and for the whole of it, once a handler reads it.
//!
//! hyper bounds the request head (`header_read_timeout`) but not the body: a
//! client that trickles one byte every few seconds would hold its handler
//! (and, on HTTP/1, its connection) for as long as it likes. [`TimedBody`]
//! wraps the body a request is served with. Its timers only run while the
//! reader is *waiting for the client* (the body returned `Pending`), so a
//! handler that reads slowly on purpose (streaming to disk, say) is not cut
//! off; the total deadline counts from the first read.
//!
//! When a timer fires the body yields a [`BodyTimeout`] error, which the body
//! extractors answer with `408 body_timeout`, and the connection is marked so
//! that the response closes it (HTTP/1: `Connection: close`; an HTTP/2 stream
//! whose request body is unfinished is reset by hyper once its response ends).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::body::{BodyTimeout, BoxError};

/// The two body timeouts of a server.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyTimeouts {
    /// The longest wait for the next chunk.
    pub(super) between_chunks: Duration,
    /// The longest time from the first read to the end of the body.
    pub(super) total: Duration,
}

pin_project_lite::pin_project! {
    /// A request body whose reads time out (see the module docs).
    pub(super) struct TimedBody<B> {
        #[pin]
        inner: B,
        #[pin]
        timer: Sleep,
        // Whether `timer` is set for the wait at hand.
        armed: bool,
        // The deadline `timer` is set to, and the total one (from the first read).
        deadline: Option<Instant>,
        total_deadline: Option<Instant>,
        timeouts: BodyTimeouts,
        // Set once a timer fired: the connection must close after the response.
        timed_out: Arc<AtomicBool>,
        done: bool,
    }
}

impl<B> TimedBody<B> {
    pub(super) fn new(inner: B, timeouts: BodyTimeouts, timed_out: Arc<AtomicBool>) -> Self {
        TimedBody {
            inner,
            // Reset before its first poll; creating it registers nothing.
            timer: tokio::time::sleep(Duration::ZERO),
            armed: false,
            deadline: None,
            total_deadline: None,
            timeouts,
            timed_out,
            done: false,
        }
    }
}

/// `now + d`, or `None` (never) when that is past what `Instant` can hold.
fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

impl<B> http_body::Body for TimedBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            *this.armed = false;
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        if !*this.armed {
            let now = Instant::now();
            if this.total_deadline.is_none() {
                *this.total_deadline = after(now, this.timeouts.total);
            }
            let next = after(now, this.timeouts.between_chunks);
            let deadline = match (next, *this.total_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            *this.deadline = deadline;
            *this.armed = true;
            let Some(deadline) = deadline else {
                return Poll::Pending;
            };
            this.timer.as_mut().reset(deadline);
        }
        if this.deadline.is_none() || this.timer.poll(cx).is_pending() {
            return Poll::Pending;
        }
        *this.done = true;
        this.timed_out.store(true, Ordering::Relaxed);
        let total = *this.deadline == *this.total_deadline;
        let error = if total {
            BodyTimeout::Total(this.timeouts.total)
        } else {
            BodyTimeout::BetweenChunks(this.timeouts.between_chunks)
        };
        Poll::Ready(Some(Err(Box::new(error))))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
