//! Finish steps: what a request-scoped value does when its request is over.

use std::future::Future;

use crate::Response;

/// A request-scoped value that must be finished when the request is over: a
/// database transaction commits or rolls back, an outbox flushes.
///
/// Declare it on the provider with `#[provider(finish)]`. The pipeline then
/// calls [`finish`](Finish::finish) once, with the value by value and the
/// response by `&mut`, at the onion position mirroring where the value was
/// built: after the post hooks of every middleware inside that position and
/// before those outside it. It runs on every way out once the value exists: a
/// success, an `Err` from the handler, a short-circuit or an extractor
/// rejection after it was built, and a `wrap` middleware that cancels (a
/// timeout) or catches (a panic) the inner future; then it runs right after
/// that `wrap` returns, with the response the `wrap` produced.
///
/// A finish step may replace the response (a failed commit is a 500, not the
/// handler's 200); it cannot short-circuit further.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no finish step, but its provider is `#[provider(finish)]`",
    label = "`{Self}` does not implement `kiln::Finish`",
    note = "implement `kiln::Finish` for `{Self}` (commit, flush, release), or remove `finish` from `#[provider(..)]`"
)]
pub trait Finish: Send + Sized {
    /// Finishes the value, looking at (and maybe replacing) the response.
    fn finish(self, res: &mut Response) -> impl Future<Output = ()> + Send;
}

/// Compiles only for a type with a finish step: `#[provider(finish)]` checks
/// its output with it, at the output type.
#[doc(hidden)]
pub const fn must_finish<T: Finish>() {}
