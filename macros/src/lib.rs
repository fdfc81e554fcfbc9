//! Procedural macros for kiln. Use them through the `kiln` crate.
//!
//! # Architecture
//! A proc macro sees only its own input, yet `chain!` must order middleware by
//! priorities written on other items and wire dependencies by their parameter
//! types. So:
//! 1. `#[middleware]`, `#[handler]` and `#[provider]` keep the user's item and
//!    emit a hidden `#[macro_export]` *descriptor* macro (crate-unique name),
//!    re-exported beside the item under its own name with a relative `use`.
//!    The descriptor re-emits the signature as tokens (`desc`, whose wire
//!    format is a `Parse`/`ToTokens` pair). Stages: `attr`'s `args` →
//!    `valid` → `emit`.
//! 2. `chain!` expands to a chain of descriptor calls (continuation passing);
//!    the last one calls the private `__chain_impl!`, which sees every
//!    signature at once. Stages, one module each under `chain`:
//!    `parse` (syntax) → `resolve` (the typed `model`: per route the sorted
//!    members, and for every parameter exactly one source, or the error) →
//!    `emit` (code only, reading the model) and `describe` (the same model as
//!    static data). The generated code is straight-line code with plain
//!    locals: one flat pipeline per route (measured ~3x fewer instructions
//!    than a generic context).
//! 3. Every stage reports into one `ctxt::Ctxt` and keeps going, so a user
//!    sees all of their mistakes in one build; on error, the item (or the
//!    app's struct, `new` and `App` impl) is still emitted so nothing cascades.
//! 4. The types kiln gives a meaning (`Request`, `Response`, `Bump`, `Next`,
//!    `Stats`) are named once, in `symbol`.

mod attr;
mod chain;
mod ctxt;
mod desc;
mod symbol;

use proc_macro::TokenStream;

/// Documented on its re-export, `kiln::middleware`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(desc::Kind::Middleware, args.into(), item.into()).into()
}

/// Documented on its re-export, `kiln::handler`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(desc::Kind::Handler, args.into(), item.into()).into()
}

/// Documented on its re-export, `kiln::provider`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn provider(args: TokenStream, item: TokenStream) -> TokenStream {
    attr::expand(desc::Kind::Provider, args.into(), item.into()).into()
}

/// Documented on its re-export, `kiln::chain`.
#[doc(hidden)]
#[proc_macro]
pub fn chain(input: TokenStream) -> TokenStream {
    chain::start(input.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __chain_impl(input: TokenStream) -> TokenStream {
    chain::finish(input.into()).into()
}
