//! Shutdown: the default signal (SIGINT or SIGTERM) and the bounded drain of
//! open connections.

use std::time::Duration;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::task::JoinSet;

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM. If a handler cannot be
/// installed, that signal is logged and never fires.
pub(super) async fn signal() {
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

/// Tells every open connection to finish its in-flight requests and close
/// (HTTP/1: no further keep-alive; HTTP/2: GOAWAY), waits up to `timeout`,
/// then drops the connections that are still open.
pub(super) async fn drain(graceful: GracefulShutdown, mut tasks: JoinSet<()>, timeout: Duration) {
    let open = graceful.count();
    if open > 0 {
        tracing::info!(connections = open, ?timeout, "draining open connections");
    }
    if tokio::time::timeout(timeout, graceful.shutdown())
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
