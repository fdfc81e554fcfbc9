//! `chain!`: gather the listed items' descriptors, then parse → resolve →
//! emit (and describe, from the same model).
//!
//! `chain!` itself only parses enough to know what it lists, and expands to
//! a chain of descriptor calls (continuation passing) ending in the private
//! `__chain_impl!`, which receives every descriptor and the original input.

mod describe;
mod emit;
mod model;
mod parse;
mod resolve;
#[cfg(test)]
mod tests;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use crate::ctxt::Ctxt;
use crate::desc::Entry;

/// Expands to a chain of descriptor calls that ends in `__chain_impl!`.
#[allow(clippy::needless_pass_by_value)] // mirrors the proc-macro entry point, which owns its input
pub(crate) fn start(input: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let Some(def) = parse::parse(input.clone(), &cx) else {
        let errors = cx.to_compile_errors();
        let stub =
            parse::salvage_name(input).map(|(vis, name)| emit::placeholder_by_name(&vis, &name));
        // Without a parseable chain there is no descriptor call either.
        return quote!(#errors #stub);
    };
    let krate = def
        .krate
        .as_ref()
        .map_or_else(|| quote!(::kiln), |p| quote!(#p));
    let finish = quote!(#krate::__private::chain_impl);
    // The skeleton needs no descriptor; errors in the table are reported by
    // `__chain_impl!`, so they are discarded here.
    let router = resolve::routes::needs_router(&resolve::routes::table(&def, &Ctxt::default()));
    let skeleton = emit::skeleton(&def, router);
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
    quote! {
        #skeleton
        #first! { [ #(#calls)* ] [ ] { #input } }
    }
}

/// Receives `[] [descriptors...] { input }` and generates the app, or its
/// placeholder and every error.
pub(crate) fn finish(input: TokenStream) -> TokenStream {
    let mut it = input.into_iter();
    let _empty = it.next();
    let (Some(TokenTree::Group(descs)), Some(TokenTree::Group(body))) = (it.next(), it.next())
    else {
        return quote!(::core::compile_error!("malformed `chain!` internals"););
    };
    if body.delimiter() != Delimiter::Brace {
        return quote!(::core::compile_error!("malformed `chain!` internals"););
    }
    let cx = Ctxt::default();
    let Some(def) = parse::parse(body.stream(), &cx) else {
        return cx.to_compile_errors();
    };
    let entries: Vec<Entry> = match syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream| {
            let mut out = Vec::new();
            while !input.is_empty() {
                out.push(input.parse::<Entry>()?);
            }
            Ok(out)
        },
        descs.stream(),
    ) {
        Ok(e) => e,
        Err(e) => {
            cx.push(e);
            Vec::new()
        }
    };
    generate(&def, &entries, &cx)
}

/// The app from a parsed chain and its descriptors.
fn generate(def: &parse::ChainDef, entries: &[Entry], cx: &Ctxt) -> TokenStream {
    if entries.len() != def.items().len() {
        cx.error(proc_macro2::Span::call_site(), "kiln: `chain!` received the wrong number of descriptors; are kiln and kiln-macros the same version?");
    }
    // On error nothing is emitted but the errors: the skeleton's defaults
    // (`emit::skeleton`) keep the app type-checking.
    let out = if cx.has_errors() {
        None
    } else {
        let model = resolve::resolve(def, entries, cx);
        (!cx.has_errors()).then(|| {
            let app = emit::app(&model);
            let describe = describe::describe(&model);
            quote!(#app #describe)
        })
    };
    let errors = cx.to_compile_errors();
    quote!(#errors #out)
}

/// The generated code in two parts (for the expansion snapshots), or the errors.
#[cfg(test)]
pub(crate) fn generate_parts(
    def: &parse::ChainDef,
    entries: &[Entry],
) -> Result<emit::Generated, String> {
    let cx = Ctxt::default();
    let model = resolve::resolve(def, entries, &cx);
    if cx.has_errors() {
        return Err(cx.to_compile_errors().to_string());
    }
    let router = resolve::routes::needs_router(&model.table);
    let (skeleton, app) = (emit::skeleton(def, router), emit::app(&model));
    Ok(emit::Generated {
        app: quote!(#skeleton #app),
        describe: describe::describe(&model),
    })
}
