//! [`Finish`]: a future that runs to the end even when its caller drops it.
//!
//! sqlx 0.9's Postgres `begin` is not cancel-safe (launchbadge/sqlx#4393): a
//! future dropped after its `BEGIN` reached the server but before the reply
//! was read hands the pool a connection inside a transaction that nothing
//! ends. The next borrower's statements then run inside it: their writes stay
//! invisible and their row locks held until some later `COMMIT` or `ROLLBACK`
//! on that connection. kiln drops a request's future when its client goes
//! away, so a `begin` in flight at that moment is routine, not rare.
//!
//! [`Finish`] moves the rest of such a future onto a task of its own: the
//! `BEGIN` completes, the [`Transaction`](sqlx::Transaction) nobody waits
//! for is dropped there, and its drop queues the `ROLLBACK` that the pool
//! sends before lending the connection again.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls `F`; if dropped before it completed, spawns the rest on the current
/// tokio runtime and drops the output there. The future is boxed so that it
/// can move to that task while pinned: one allocation per use.
pub(crate) struct Finish<F: Future + Send + 'static>
where
    F::Output: Send,
{
    fut: Option<Pin<Box<F>>>,
}

impl<F: Future + Send + 'static> Finish<F>
where
    F::Output: Send,
{
    pub(crate) fn new(fut: F) -> Self {
        Finish {
            fut: Some(Box::pin(fut)),
        }
    }
}

impl<F: Future + Send + 'static> Future for Finish<F>
where
    F::Output: Send,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let fut = this
            .fut
            .as_mut()
            .expect("`Finish` polled after it completed");
        let out = std::task::ready!(fut.as_mut().poll(cx));
        this.fut = None;
        Poll::Ready(out)
    }
}

impl<F: Future + Send + 'static> Drop for Finish<F>
where
    F::Output: Send,
{
    fn drop(&mut self) {
        let Some(fut) = self.fut.take() else { return };
        // Outside a runtime (it is shutting down) the connections go with it.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { drop(fut.await) });
        }
    }
}
