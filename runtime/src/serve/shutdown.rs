//! Shutdown: the default signal (SIGINT or SIGTERM), the bounded drain of
//! open connections, and the notice that long-lived responses watch.
//!
//! hyper's graceful shutdown lets in-flight requests finish, but a response
//! that never finishes by design (a server-sent event stream) would hold the
//! drain until its timeout, and an upgraded connection (a WebSocket) is no
//! longer hyper's at all. So the server also keeps a [`Notice`]: every
//! request future runs with it in a task-local (set once per connection task
//! and once per HTTP/2 stream task, by [`Exec`]: nothing per request), SSE
//! bodies and WebSocket tasks subscribe to it with `ShutdownWatch::current`,
//! end themselves when it fires (SSE after the event at hand, WebSockets with
//! a `1001 Going Away` close frame), and the drain waits for every
//! subscriber to be gone, within the same drain timeout.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

/// The server's shutdown notice: `true` once shutdown began.
pub(super) type Notice = Arc<watch::Sender<bool>>;

tokio::task_local! {
    static CURRENT: Notice;
}

/// A fresh notice (not yet fired).
pub(super) fn notice() -> Notice {
    Arc::new(watch::Sender::new(false))
}

/// Runs `fut` with `notice` as the current server's notice.
pub(super) fn with_notice<F: Future>(notice: Notice, fut: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(notice, fut)
}

/// The executor of HTTP/2 streams (and anything else hyper spawns): tokio's,
/// with the server's notice set on each spawned task.
#[derive(Clone)]
pub(super) struct Exec(pub(super) Notice);

impl<F> hyper::rt::Executor<F> for Exec
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        tokio::spawn(CURRENT.scope(Arc::clone(&self.0), fut));
    }
}

/// A subscription to the shutdown notice of the server running the current
/// request; while it lives, the server's drain waits for it (within the
/// drain timeout).
#[cfg(any(feature = "sse", feature = "ws"))]
#[derive(Debug)]
pub(crate) struct ShutdownWatch(watch::Receiver<bool>);

#[cfg(any(feature = "sse", feature = "ws"))]
impl ShutdownWatch {
    /// Subscribes to the notice of the server serving this task; `None`
    /// outside [`serve`](crate::serve) (in-process tests, tower mounts).
    pub(crate) fn current() -> Option<Self> {
        CURRENT.try_with(|n| ShutdownWatch(n.subscribe())).ok()
    }

    /// Whether the server began shutting down.
    #[cfg(feature = "ws")]
    pub(crate) fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the server begins shutting down (or is gone).
    pub(crate) async fn wait(&mut self) {
        // An error means the server dropped its notice: as good as shut down.
        let _ = self.0.wait_for(|&down| down).await;
    }
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM: what [`serve`](fn@crate::serve)
/// stops on unless given [`Server::with_shutdown`](crate::Server::with_shutdown).
/// Await it in whatever else the process runs (a job worker, say) to stop
/// with the server. If a handler cannot be installed, that signal is logged
/// and never fires.
///
/// ```no_run
/// # async fn worker_loop() {}
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// tokio::select! {
///     () = worker_loop() => {}
///     () = kiln::shutdown_signal() => println!("stopping"),
/// }
/// # });
/// ```
pub async fn shutdown_signal() {
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT received, shutting down"),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
                tracing::info!("SIGTERM received, shutting down");
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Fires the notice: every open connection finishes its in-flight requests
/// and closes (HTTP/1: no further keep-alive; HTTP/2: GOAWAY), streams and
/// WebSockets end themselves. Each connection task and each stream holds a
/// subscription to the notice until it is done, so waiting for the notice to
/// have no receivers waits for all of them; after `timeout` the connections
/// still open are dropped.
pub(super) async fn drain(mut tasks: JoinSet<()>, notice: &Notice, timeout: Duration) {
    notice.send_replace(true);
    while tasks.try_join_next().is_some() {}
    let open = tasks.len();
    // Connection tasks subscribe once each; the rest are streams.
    let streams = notice.receiver_count().saturating_sub(open);
    if open > 0 || streams > 0 {
        tracing::info!(
            connections = open,
            streams,
            ?timeout,
            "draining open connections"
        );
    }
    if tokio::time::timeout(timeout, notice.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = tasks.len(),
            ?timeout,
            "drain timeout elapsed; dropping the connections still open"
        );
        tasks.abort_all();
    }
    while tasks.join_next().await.is_some() {}
}
