//! Procedural macros for kiln. Use them through the `kiln` crate.
//!
//! # Architecture
//! A proc macro sees only its own input, yet `chain!` must order middleware by
//! priorities written on other items and wire dependencies by their parameter
//! types. So:
//! 1. `#[middleware]`, `#[handler]` and `#[provider]` keep the user's function and emit a hidden
//!    `#[macro_export]` *descriptor* macro (crate-unique name), re-exported beside
//!    the function under the function's own name with a relative `use`. The
//!    descriptor re-emits the signature as tokens (see [`desc`]).
//! 2. `chain!` expands to a chain of descriptor calls (continuation passing); the
//!    last one calls the private `__chain_impl!`, which sees every signature at
//!    once, sorts by priority, resolves dependencies, reports errors at the
//!    user's tokens, and emits straight-line code with plain locals: one flat
//!    pipeline per route (measured ~3x fewer instructions than a generic context).
//! 3. Introspection rides on the same resolution: `describe()` is a `static`
//!    written from what `__chain_impl!` resolved (`chain/describe.rs`), emitted
//!    beside the app and never touched by a request. `options { stats }` makes
//!    `expand.rs` number a slot per route, member and handler and time each
//!    hook into it; without the option not one token of the app differs, and
//!    the expansion snapshots (`snapshots/chain_api.rs`, `chain_api_stats.rs`)
//!    show both.

mod attr;
mod chain;
mod desc;

use proc_macro::TokenStream;

/// See `kiln::middleware`.
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(attr::Kind::Middleware, args.into(), item.into()).into()
}

/// See `kiln::handler`.
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(attr::Kind::Handler, args.into(), item.into()).into()
}

/// See `kiln::provider`.
#[proc_macro_attribute]
pub fn provider(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(attr::Kind::Provider, args.into(), item.into()).into()
}

/// See `kiln::chain`.
#[proc_macro]
pub fn chain(input: TokenStream) -> TokenStream {
    chain::start(input.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __chain_impl(input: TokenStream) -> TokenStream {
    chain::finish(input.into()).into()
}
