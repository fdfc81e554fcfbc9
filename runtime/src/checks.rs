//! Type checks the generated chain routes values through, so that a wiring
//! mistake rustc finds is reported at the user's token in kiln's words.
//! Each is an identity function that inlines to nothing.

use std::future::Future;

/// `Self` is the type a consumer asks for; `T` is what the chain provides
/// under that name. They differ when two types share a name (DI keys by the
/// type's name), or when a type of the user's is named like one of kiln's.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is needed here, but this chain provides `{T}` under that name",
    label = "this parameter is wired to the `{T}` of the chain",
    note = "kiln wires dependencies by type name (the last path segment): a type named like one of kiln's (`Request`, `Response`, `Next`, `Bump`, `Stats`) or like a value the chain provides is that value",
    note = "rename one of the two types, or write yours with a path (`crate::model::{Self}`) if it is named like one of kiln's"
)]
pub trait Provided<T: ?Sized> {
    /// `v` as `&Self`.
    fn lend(v: &T) -> &Self;
    /// `v` as `&mut Self`.
    fn lend_mut(v: &mut T) -> &mut Self;
}

impl<T: ?Sized> Provided<T> for T {
    #[inline(always)]
    fn lend(v: &T) -> &T {
        v
    }
    #[inline(always)]
    fn lend_mut(v: &mut T) -> &mut T {
        v
    }
}

/// Lends a provided value to a parameter of type `&U`, checking `U` is it.
#[inline(always)]
#[must_use]
pub fn lend<T: ?Sized, U: ?Sized + Provided<T>>(v: &T) -> &U {
    U::lend(v)
}

/// Lends a provided value to a parameter of type `&mut U`, checking `U` is it.
#[inline(always)]
pub fn lend_mut<T: ?Sized, U: ?Sized + Provided<T>>(v: &mut T) -> &mut U {
    U::lend_mut(v)
}

/// A future the app's request future may hold: it must be `Send`, because
/// the server runs requests on a multi-threaded runtime.
#[diagnostic::on_unimplemented(
    message = "this async function's future is not `Send`, so the app cannot serve it",
    label = "its future holds a value that is not `Send` across an `.await`",
    note = "the server runs requests on a multi-threaded runtime: drop the value (an `Rc`, a `RefCell` borrow, a std `MutexGuard`) before the `.await`, or use a `Send` one (`Arc`, `tokio::sync::Mutex`)"
)]
pub trait SendFuture {
    /// The future itself.
    type Fut: Future<Output = Self::Out> + Send;
    /// Its output.
    type Out;
    /// Returns the future.
    fn into_send(self) -> Self::Fut;
}

impl<F: Future + Send> SendFuture for F {
    type Fut = F;
    type Out = F::Output;
    #[inline(always)]
    fn into_send(self) -> F {
        self
    }
}

/// Checks that an async hook's, provider's or handler's future is `Send`,
/// at the function. When it is not, the result's type is unknown, so the
/// error is reported here once rather than again for the whole app.
#[inline(always)]
pub fn send<F: SendFuture>(f: F) -> F::Fut {
    f.into_send()
}
