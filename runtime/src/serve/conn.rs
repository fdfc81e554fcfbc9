//! One connection: turns hyper's requests into kiln requests, runs the app
//! with the connection's [`Conn`], and turns a panic into a `500`.
//!
//! Per request this costs no allocation of its own: a request without a body
//! gets [`Body::empty`] (the stream is only boxed when there is one), the
//! connection's `Conn` is taken out of its slot and put back, and the future
//! holds one clone of the *connection's* `Arc` (hyper needs a `'static`
//! future; the app's own `Arc` is cloned once per connection, so requests on
//! different cores never contend for one reference count).

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use http::{HeaderValue, Version, header};
use http_body::Body as _;
use hyper::body::Incoming;
use hyper_util::server::conn::auto;

use super::body_timeout::{BodyTimeouts, TimedBody};
use super::idle::{Active, Activity};
use crate::{App, Body, Conn, ConnInfo, IntoResponse, Request};

/// What every connection of one server shares: the app, the protocol
/// settings and the body timeouts.
pub(super) struct Shared<A> {
    pub(super) app: A,
    pub(super) builder: auto::Builder<super::shutdown::Exec>,
    pub(super) body_timeouts: BodyTimeouts,
}

/// One connection's state, shared by its requests.
///
/// HTTP/1.1 runs one request at a time, so its requests all use the one
/// `Conn` kept in `spare` (and its arena's memory is reused). HTTP/2 runs
/// streams concurrently: a stream that finds the slot empty, because another
/// stream holds the `Conn`, gets a fresh one (free until its arena is used),
/// and whichever finishes first puts its `Conn` back.
pub(super) struct ConnState<A> {
    shared: Arc<Shared<A>>,
    info: ConnInfo,
    spare: Mutex<Option<Conn>>,
    /// Requests in flight and since when none is: the idle timeout's input.
    pub(super) activity: Activity,
    /// Set by the first HTTP/2 request: the connection sends no HTTP/1 head,
    /// so the header-read timeout no longer applies.
    http2: AtomicBool,
    /// Set by a request body whose read timed out: that HTTP/1 connection
    /// must not be reused (one request at a time, so one flag suffices).
    body_timed_out: Arc<AtomicBool>,
}

impl<A: App> ConnState<A> {
    pub(super) fn new(shared: Arc<Shared<A>>, info: ConnInfo) -> Self {
        ConnState {
            shared,
            info,
            spare: Mutex::new(Some(Conn::new(info))),
            activity: Activity::new(),
            http2: AtomicBool::new(false),
            body_timed_out: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the connection has served an HTTP/2 request.
    pub(super) fn is_http2(&self) -> bool {
        self.http2.load(Ordering::Relaxed)
    }

    fn take(&self) -> Conn {
        self.spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Conn::new(self.info))
    }

    fn give_back(&self, mut conn: Conn) {
        conn.reset();
        let mut slot = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(conn);
        }
    }
}

/// A response as the connection sends it: its body carries the request's
/// [`Active`] mark, so the connection counts as busy until the body is sent.
pub(super) type Sent<A> = http::Response<Active<A>>;

/// Serves one request: the hyper service of a connection calls this.
pub(super) async fn respond<A: App>(
    state: Arc<ConnState<A>>,
    req: http::Request<Incoming>,
) -> Result<Sent<A>, Infallible> {
    // Moves the connection's `Arc` in: busy until the response body is dropped
    // (also when this future is, a client that went away).
    let active = Active::new(state);
    let state = active.state();
    // No body limit here: the route's own (or the server's) is enforced by
    // whatever reads the body, inside the app's chain, so a 413 carries the
    // chain's headers and names the limit that applied.
    let (parts, incoming) = req.into_parts();
    let version = parts.version;
    if version == Version::HTTP_2 {
        state.http2.store(true, Ordering::Relaxed);
    }
    let body = if incoming.is_end_stream() {
        Body::empty()
    } else {
        Body::wrap(TimedBody::new(
            incoming,
            state.shared.body_timeouts,
            Arc::clone(&state.body_timed_out),
        ))
    };
    let req = Request::from_parts(parts, body);
    let mut conn = state.take();
    let res = CatchUnwind {
        inner: state.shared.app.handle(req, &mut conn),
    }
    .await;
    state.give_back(conn);
    let mut res = res.unwrap_or_else(|panic| {
        tracing::error!(
            peer = ?state.info.peer,
            panic = panic_message(&*panic),
            "request handler panicked; answering 500"
        );
        crate::Error::internal().into_response()
    });
    // Whatever the handler made of the timeout, the rest of that body is
    // still on the wire: HTTP/1 cannot read the next request after it. (HTTP/2
    // forbids `Connection`; hyper resets a stream whose body is unfinished.)
    if version < Version::HTTP_2 && state.body_timed_out.swap(false, Ordering::Relaxed) {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(active.attach(res))
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

pin_project_lite::pin_project! {
    /// Polls a future, catching a panic as `Err(payload)`.
    ///
    /// The future is never polled again after it panicked (the `Err` ends it),
    /// and the app is only borrowed: what it shares between requests is up to
    /// its own synchronization, as with a panic in any other server.
    struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
