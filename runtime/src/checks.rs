//! Type checks the generated chain routes values through, so that a wiring
//! mistake rustc finds is reported at the user's token in kiln's words.
//! Each is an identity function that inlines to nothing.

/// `Self` is the type a consumer asks for; `T` is what the chain provides
/// under that name. They differ when two types share a name (DI keys by the
/// type's name), or when a type of the user's is named like one of kiln's.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is needed here, but this chain provides `{T}` under that name",
    label = "this parameter is wired to the `{T}` of the chain",
    note = "kiln wires dependencies by type name (the last path segment): a type named like one of kiln's (`Request`, `Response`, `Next`, `Bump`, `Stats`) or like a value the chain provides is that value",
    note = "rename one of the two types; a type of yours named like one of kiln's is yours when written with its path (`model::Request`)"
)]
pub trait Provided<T: ?Sized> {
    /// `v` as `&Self`.
    fn lend(v: &T) -> &Self;
    /// `v` as `&mut Self`.
    fn lend_mut(v: &mut T) -> &mut Self;
}

impl<T: ?Sized> Provided<T> for T {
    #[inline]
    fn lend(v: &T) -> &T {
        v
    }
    #[inline]
    fn lend_mut(v: &mut T) -> &mut T {
        v
    }
}

/// Lends a provided value to a parameter of type `&U`, checking `U` is it.
#[inline]
#[must_use]
pub fn lend<T: ?Sized, U: ?Sized + Provided<T>>(v: &T) -> &U {
    U::lend(v)
}

/// Lends a provided value to a parameter of type `&mut U`, checking `U` is it.
#[inline]
pub fn lend_mut<T: ?Sized, U: ?Sized + Provided<T>>(v: &mut T) -> &mut U {
    U::lend_mut(v)
}

/// Checks at an async function that its future is `Send`: the server runs
/// requests on a multi-threaded runtime.
#[inline]
pub fn send<F: std::future::Future + Send>(f: F) -> F {
    f
}

/// The app has singleton `T`: `chain!` implements it for each singleton
/// when something reads singletons by type (a `Valid<..>` extractor's
/// validation context). Every app has the unit singleton `()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no singleton `{T}`",
    label = "this `Valid<..>` needs `{T}` as its validation context",
    note = "a `Valid<..>` parameter takes its validation context (the type of `#[garde(context(..))]`) from the app's singletons: add `name: {T}` to `singletons {{ .. }}`"
)]
pub trait HasSingleton<T> {
    /// The singleton.
    fn singleton(&self) -> &T;
}

impl<A: ?Sized> HasSingleton<()> for A {
    #[inline]
    fn singleton(&self) -> &() {
        &()
    }
}

/// A second impl of [`HasSingleton`] for every app, so that rustc never
/// settles on the `()` impl alone: a missing context is then reported as
/// the missing singleton (our message), not as "expected `()`".
#[doc(hidden)]
pub enum NoContext {}

impl<A: ?Sized> HasSingleton<NoContext> for A {
    fn singleton(&self) -> &NoContext {
        unreachable!("`NoContext` is never a validation context")
    }
}
