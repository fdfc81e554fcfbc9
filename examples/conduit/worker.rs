//! What this process runs — the HTTP server, the outbox worker, or both —
//! and the one shutdown signal both obey.
//!
//! By default one process serves the API and runs the jobs. `--no-worker`
//! serves only; `--worker` runs only the worker (no listener) against the
//! same database, so a deployment can run the two apart (several servers,
//! one or more workers: on Postgres their claims never collide). On Ctrl-C
//! or `SIGTERM` the worker stops claiming at once and waits up to
//! [`DRAIN`] for the jobs it is running; what is left then goes back to the
//! table for the next worker.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How long a stopping worker waits for the jobs it runs.
pub(crate) const DRAIN: Duration = Duration::from_secs(10);

/// How often an idle worker looks for due jobs.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// What this process runs, from its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The server and a worker (no argument).
    Both,
    /// Only the server (`--no-worker`).
    Server,
    /// Only a worker (`--worker`).
    Worker,
}

impl Role {
    /// The role the arguments (without the program name) ask for.
    pub(crate) fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut role = Role::Both;
        for arg in args {
            let asked = match arg.as_str() {
                "--worker" => Role::Worker,
                "--no-worker" => Role::Server,
                other => {
                    return Err(format!(
                        "unknown argument `{other}`: use `--worker` (only the job worker) or \
                         `--no-worker` (only the HTTP server), or neither (both)"
                    ));
                }
            };
            if role != Role::Both && role != asked {
                return Err("`--worker` and `--no-worker` exclude each other".into());
            }
            role = asked;
        }
        Ok(role)
    }

    /// Whether this process listens for HTTP.
    pub(crate) fn serves(self) -> bool {
        self != Role::Worker
    }

    /// Whether this process runs outbox jobs.
    pub(crate) fn works(self) -> bool {
        self != Role::Server
    }
}

/// The process's stop signal: fired by Ctrl-C, `SIGTERM`, or [`Stop::fire`].
#[derive(Clone, Debug)]
pub(crate) struct Stop(Arc<watch::Sender<bool>>);

impl Stop {
    /// A stop that fires on Ctrl-C or `SIGTERM`.
    pub(crate) fn on_signal() -> Self {
        let stop = Stop(Arc::new(watch::Sender::new(false)));
        let fired = stop.clone();
        tokio::spawn(async move {
            kiln::shutdown_signal().await;
            fired.fire();
        });
        stop
    }

    /// Fires it (again is harmless).
    pub(crate) fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once it fired.
    pub(crate) fn fired(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut seen = self.0.subscribe();
        async move {
            // An error means the sender is gone: nothing can fire it any more.
            let _ = seen.wait_for(|fired| *fired).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Role, Stop};

    fn role(args: &[&str]) -> Result<Role, String> {
        Role::from_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn arguments_pick_the_role() {
        assert_eq!(role(&[]), Ok(Role::Both));
        assert_eq!(role(&["--worker"]), Ok(Role::Worker));
        assert_eq!(role(&["--no-worker"]), Ok(Role::Server));
        assert!(role(&["--worker", "--no-worker"]).is_err());
        let e = role(&["--wrker"]).unwrap_err();
        assert!(e.contains("`--wrker`"), "{e}");
        assert!(Role::Worker.works() && !Role::Worker.serves());
        assert!(Role::Server.serves() && !Role::Server.works());
    }

    #[tokio::test]
    async fn a_stop_reaches_every_waiter_also_late_ones() {
        let stop = Stop::on_signal();
        let early = tokio::spawn(stop.fired());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!early.is_finished(), "not before it fired");
        stop.fire();
        tokio::time::timeout(Duration::from_secs(5), early)
            .await
            .expect("a waiter from before the stop")
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), stop.fired())
            .await
            .expect("a waiter from after it");
    }
}
