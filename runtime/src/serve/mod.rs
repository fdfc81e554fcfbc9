//! Serving an [`App`] over HTTP/1.1 and HTTP/2 with hyper.
//!
//! [`serve`] returns a [`Server`]; [`Server::bind`] listens on an address and
//! [`Server::listen`] on a listener you opened (port 0 in tests). Both run
//! until the shutdown signal (SIGINT or SIGTERM unless
//! [`Server::with_shutdown`] gives another), then stop accepting, let
//! in-flight requests finish for at most [`Config::drain_timeout`], and return.
//!
//! Each connection runs on its own tokio task and keeps one [`Conn`](crate::Conn)
//! (its facts and its arena, reset after every request); HTTP/1.1 and HTTP/2
//! (with TLS-less prior knowledge, "h2c") are told apart by the connection
//! preface. Connections are served with hyper's upgrades enabled, so a `101`
//! response hands the socket to `hyper::upgrade::on` (WebSockets). A panic in a handler or middleware is caught, logged and answered
//! with `500`; the connection and the server keep serving. Connection errors
//! (a client that disconnects, times out or sends garbage) are logged with
//! `tracing` at `debug` and never stop the server.
//!
//! ```no_run
//! use kiln::{App, Conn, IntoResponse, Request, Response};
//!
//! struct Hello;
//! impl App for Hello {
//!     async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response {
//!         "hello".into_response()
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     kiln::serve(Hello).bind("127.0.0.1:8080").await
//! }
//! ```
//!
//! # Many connections per worker
//!
//! With its defaults, tokio's multi-thread runtime (what `#[tokio::main]`
//! builds) checks for I/O every 61 tasks it runs, and a worker's own queue
//! holds 256 tasks. When more connections than that are ready at once, the
//! overflow waits in the shared queue. The worker takes one task from there
//! about every 200 µs of work, while each I/O check refills its own queue.
//! Some connections are then served far less often than others.
//!
//! Measured on one worker at 1,000 busy connections (BENCHMARKS.md, "Tail
//! under many connections"): a p99 of 135–153 ms against a p50 of 1.5–3 ms. The
//! same holds for bare hyper and axum.
//!
//! Polling for I/O only after 1,024 tasks makes the worker drain what is
//! ready before it looks for more. That gives a p99 of 8–9 ms at the same
//! load, with 2–9% fewer requests per second on a closed-loop benchmark and
//! no measurable change at 64 connections. Expect that many connections per
//! worker? Build the runtime yourself:
//!
//! ```no_run
//! # use kiln::{App, Conn, IntoResponse, Request, Response};
//! # struct Hello;
//! # impl App for Hello {
//! #     async fn handle(&self, _: Request, _: &mut Conn) -> Response { "hi".into_response() }
//! # }
//! fn main() -> std::io::Result<()> {
//!     tokio::runtime::Builder::new_multi_thread()
//!         .enable_all()
//!         .event_interval(1024)
//!         .build()?
//!         .block_on(kiln::serve(Hello).bind("0.0.0.0:8080"))
//! }
//! ```

mod body_timeout;
mod config;
mod conn;
mod idle;
mod shutdown;

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::{App, ConnInfo};

pub use config::Config;
use conn::{ConnState, Shared};
#[cfg(any(feature = "sse", feature = "ws"))]
pub(crate) use shutdown::ShutdownWatch;
pub use shutdown::shutdown_signal;

/// Serves `app` over HTTP: finish with [`Server::bind`] (an address) or
/// [`Server::listen`] (a listener you opened, port 0 in tests).
///
/// ```no_run
/// # use kiln::{App, Conn, IntoResponse, Request, Response};
/// # struct Hello;
/// # impl App for Hello {
/// #     async fn handle(&self, _: Request, _: &mut Conn) -> Response { "hi".into_response() }
/// # }
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     kiln::serve(Hello).bind("127.0.0.1:8080").await
/// }
/// ```
///
/// - **Protocols**: HTTP/1.1 with keep-alive, and HTTP/2 over plain TCP with
///   prior knowledge (h2c), told apart by the connection preface; hyper 1.x
///   through hyper-util, one tokio task per connection.
/// - **Connections**: each keeps one [`Conn`](crate::Conn), handed to
///   [`App::handle`] by `&mut` and reset after every request, so its arena's
///   memory is reused. Concurrent HTTP/2 streams share it as a pool of one: a
///   stream that finds it taken gets a fresh `Conn` (free until its arena is
///   used), and the first to finish puts its `Conn` back.
/// - **Limits** ([`Config`], re-exported as `kiln::ServeConfig`): header-read
///   timeout, max connections, max header size (`431`), body limit (`413`,
///   enforced by the body extractors inside the chain, per route with
///   `#[limit(body = ..)]`), body read timeouts (`408`), idle timeout,
///   keep-alive, HTTP/2 stream and reset limits, drain timeout.
/// - **Failures**: a panic in a handler or middleware is logged and answered
///   `500`, and the connection keeps serving; connection errors are logged
///   with `tracing` and never stop the server.
/// - **Shutdown**: on SIGINT or SIGTERM (or [`Server::with_shutdown`]) the
///   listener closes, in-flight requests finish, server-sent event streams
///   end after their current event and WebSockets are closed with `1001 Going
///   Away`; connections and streams still open after
///   [`Config::drain_timeout`] are dropped.
pub fn serve<A: App>(app: A) -> Server<A> {
    Server {
        app,
        config: Config::default(),
        shutdown: None,
    }
}

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server for one app, built by [`serve`].
#[must_use = "a server does nothing until `.bind(addr).await` or `.listen(listener).await`"]
pub struct Server<A> {
    app: A,
    config: Config,
    shutdown: Option<ShutdownSignal>,
}

impl<A> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("custom_shutdown", &self.shutdown.is_some())
            .finish_non_exhaustive()
    }
}

impl<A: App> Server<A> {
    /// Replaces the limits and timeouts (see [`Config`] for the defaults).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Shuts down when `signal` resolves instead of on SIGINT/SIGTERM.
    ///
    /// ```no_run
    /// # use kiln::{App, Conn, Request, Response, IntoResponse};
    /// # struct Hello;
    /// # impl App for Hello {
    /// #     async fn handle(&self, _: Request, _: &mut Conn) -> Response { "hi".into_response() }
    /// # }
    /// # async fn run() -> std::io::Result<()> {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = tokio::spawn(
    ///     kiln::serve(Hello).with_shutdown(async { stopped.await.ok(); }).listen(listener),
    /// );
    /// // ... send requests ...
    /// stop.send(()).ok();
    /// server.await.unwrap()
    /// # }
    /// ```
    pub fn with_shutdown(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// Listens on `addr` and serves until shut down.
    ///
    /// # Errors
    /// When the address cannot be bound. Errors on single connections are
    /// logged, not returned.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        self.listen(listener).await
    }

    /// Serves connections accepted from `listener` until shut down, then
    /// drains them (see the module docs).
    ///
    /// # Errors
    /// Never at present: failed accepts (out of file descriptors, say) are
    /// logged and retried. The `Result` leaves room for fatal listener errors.
    pub async fn listen(self, listener: TcpListener) -> io::Result<()> {
        let Server {
            app,
            config,
            shutdown,
        } = self;
        let local = listener.local_addr().ok();
        let shown = local.map(|a| a.to_string()).unwrap_or_default();
        let notice = shutdown::notice();
        let shared = Arc::new(Shared {
            app,
            builder: builder(&config, &notice),
            body_timeouts: body_timeout::BodyTimeouts {
                between_chunks: config.body_read_timeout,
                total: config.body_total_timeout,
            },
        });
        let timeouts = Timeouts {
            header_read: config.header_read_timeout,
            idle: config.idle_timeout,
        };
        let slots = Arc::new(Semaphore::new(config.max_connections));
        let mut tasks = JoinSet::new();
        let mut shutdown = shutdown.unwrap_or_else(|| Box::pin(shutdown::shutdown_signal()));
        tracing::info!(addr = %shown, "kiln listening");

        loop {
            let (permit, accepted) = tokio::select! {
                biased;
                () = &mut shutdown => break,
                permit = Arc::clone(&slots).acquire_owned() => {
                    let Ok(permit) = permit else { break };
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        accepted = listener.accept() => (permit, accepted),
                    }
                }
            };
            // Reap finished connection tasks so the set stays small.
            while tasks.try_join_next().is_some() {}
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            };
            let info = ConnInfo {
                peer: Some(peer),
                local,
                body_limit: config.body_limit,
            };
            let shared = Arc::clone(&shared);
            // Held until the connection ends: the drain waits for it.
            let stop = notice.subscribe();
            // Spawned as it is: an `async move` block around the future would
            // hold it twice (the captured value and the awaited one).
            let connection = serve_connection(shared, stream, info, stop, timeouts, permit);
            tasks.spawn(shutdown::with_notice(Arc::clone(&notice), connection));
        }

        drop(listener);
        shutdown::drain(tasks, &notice, config.drain_timeout).await;
        tracing::info!(addr = %shown, "kiln stopped");
        Ok(())
    }
}

/// The protocol settings every connection shares.
fn builder(config: &Config, notice: &shutdown::Notice) -> auto::Builder<shutdown::Exec> {
    let mut builder = auto::Builder::new(shutdown::Exec(Arc::clone(notice)));
    // No HTTP/1 timer: hyper's header-read timer costs an allocation and a
    // timer-wheel entry per request; the connection's idle watch bounds heads.
    builder
        .http1()
        .header_read_timeout(None)
        .keep_alive(config.keep_alive)
        .max_buf_size(config.max_header_size);
    let mut h2 = builder.http2();
    h2.timer(TokioTimer::new())
        .max_concurrent_streams(config.http2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(config.max_header_size).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(config.http2_max_pending_accept_reset_streams)
        .max_local_error_reset_streams(config.http2_max_local_error_reset_streams)
        .keep_alive_interval(config.http2_keep_alive_interval);
    if let Some(interval) = config.http2_keep_alive_interval {
        h2.keep_alive_timeout(interval);
    }
    builder
}

/// The timeouts a connection's idle watch enforces.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header_read: Duration,
    idle: Duration,
}

async fn serve_connection<A: App>(
    shared: Arc<Shared<A>>,
    stream: TcpStream,
    info: ConnInfo,
    mut stop: watch::Receiver<bool>,
    timeouts: Timeouts,
    permit: OwnedSemaphorePermit,
) {
    // Held until the connection ends: `max_connections`.
    let _permit = permit;
    // Responses are written whole; do not wait for more bytes to fill a segment.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(peer = ?info.peer, error = %e, "cannot set TCP_NODELAY");
    }
    let state = Arc::new(ConnState::new(Arc::clone(&shared), info));
    let watched = Arc::clone(&state);
    let service = hyper::service::service_fn(move |req| conn::respond(Arc::clone(&state), req));
    // With upgrades: a `101` hands the socket to `hyper::upgrade::on` (WebSockets).
    let mut connection = pin!(
        shared
            .builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
    );
    let mut watch = idle::IdleWatch::new(timeouts.header_read, timeouts.idle);
    let mut tick = pin!(tokio::time::sleep(watch.every));
    let mut tick_armed = false;
    let mut shutdown = pin!(stop.wait_for(|&down| down));
    let mut closing = false;
    // A hand-written select: the tick is polled once per reset (to register
    // its wake-up) and otherwise read with `is_elapsed`, one atomic load,
    // because this runs on every wake of the connection task.
    let result = std::future::poll_fn(|cx| {
        loop {
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                return Poll::Ready(Some(result));
            }
            // Shutdown: finish in-flight requests, no new ones (HTTP/2: GOAWAY).
            if !closing && shutdown.as_mut().poll(cx).is_ready() {
                connection.as_mut().graceful_shutdown();
                closing = true;
                continue;
            }
            if !tick_armed {
                tick_armed = true;
                if tick.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            } else if !tick.is_elapsed() {
                return Poll::Pending;
            }
            match watch.look(&watched.activity, watched.is_http2()) {
                idle::Look::HeadTimedOut => {
                    tracing::debug!(peer = ?info.peer, "no request head within the header-read timeout; closing");
                    return Poll::Ready(None);
                }
                idle::Look::Idle if !closing => {
                    tracing::debug!(peer = ?info.peer, "closing idle connection");
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                idle::Look::Idle | idle::Look::Busy => {}
            }
            tick.as_mut()
                .reset(tokio::time::Instant::now() + watch.every);
            tick_armed = false;
        }
    })
    .await;
    if let Some(Err(e)) = result {
        log_connection_error(info.peer, &*e);
    }
}

/// Client-side failures are routine (resets, timeouts, garbage) and logged
/// at `debug`; anything else at `warn`.
fn log_connection_error(
    peer: Option<std::net::SocketAddr>,
    e: &(dyn std::error::Error + Send + Sync + 'static),
) {
    let routine = if let Some(h) = e.downcast_ref::<hyper::Error>() {
        h.is_timeout()
            || h.is_parse()
            || h.is_parse_too_large()
            || h.is_incomplete_message()
            || h.is_closed()
            || h.is_canceled()
            || std::error::Error::source(h)
                .and_then(|s| s.downcast_ref::<io::Error>())
                .is_some_and(is_client_io_error)
    } else {
        e.downcast_ref::<io::Error>()
            .is_some_and(is_client_io_error)
    };
    if routine {
        tracing::debug!(?peer, error = %e, "connection error");
    } else {
        tracing::warn!(?peer, error = %e, "connection error");
    }
}

fn is_client_io_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::TimedOut
    )
}

/// Accept errors are per connection (the client gave up) or resource
/// exhaustion (out of file descriptors): log, and back off briefly on the latter.
async fn accept_failed(e: &io::Error) {
    if is_client_io_error(e) {
        tracing::debug!(error = %e, "accept failed");
    } else {
        tracing::warn!(error = %e, "accept failed; retrying in 50 ms");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
