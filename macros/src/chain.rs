//! `chain!`: gather descriptors, then generate one flat pipeline per route.

mod describe;
mod expand;
mod parse;
mod routes;
#[cfg(test)]
mod tests;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use crate::desc::Desc;

/// Expands to a chain of descriptor calls that ends in `__chain_impl!`.
#[allow(clippy::needless_pass_by_value)] // mirrors the proc-macro entry point, which owns its input
pub(crate) fn start(input: TokenStream) -> TokenStream {
    let def = match syn::parse2::<parse::ChainDef>(input.clone()) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let finish = quote!(::kiln::__private::chain_impl);
    // One-segment names are called as written, not as `self::name!`: items
    // declared inside a function body (doctests, tests) are not reachable
    // through `self`. The price: a handler named like a std prelude macro
    // (`file`, `line`, `write`, ...) is ambiguous with it (E0659); rename it.
    let mut calls: Vec<TokenStream> = def.items().iter().map(|p| quote!((#p))).collect();
    calls.push(quote!((#finish)));
    let first = calls.remove(0);
    let first = match first.into_iter().next() {
        Some(TokenTree::Group(g)) => g.stream(),
        _ => unreachable!("each call is one parenthesized group"),
    };
    quote!(#first! { [ #(#calls)* ] [ ] { #input } })
}

/// Receives `[] [descriptors...] { input }` and generates the app.
pub(crate) fn finish(input: TokenStream) -> TokenStream {
    let mut it = input.into_iter();
    let _empty = it.next();
    let descs = match it.next() {
        Some(TokenTree::Group(g)) => g.stream(),
        _ => return quote!(::core::compile_error!("malformed `chain!` internals");),
    };
    let body = match it.next() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g.stream(),
        _ => return quote!(::core::compile_error!("malformed `chain!` internals");),
    };
    let def = match syn::parse2::<parse::ChainDef>(body) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let descs: Vec<Option<Desc>> = descs
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => Desc::parse(g.stream()),
            _ => None,
        })
        .collect();
    expand::expand(&def, &descs)
}
