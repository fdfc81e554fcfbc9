//! `#[middleware]`, `#[handler]`, `#[provider]`: parse the arguments
//! ([`args`]), check the item and read its signature ([`valid`]), emit the
//! item with its descriptor ([`emit`]).
//!
//! Never leaves the user with nothing: on error the item is emitted as
//! written (our attribute removed) with a `failed` descriptor, so the rest
//! of the crate type-checks and `chain!` does not report the item again.

mod args;
mod emit;
mod valid;

pub(crate) use args::priority;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;
use crate::desc::{Desc, Entry, Kind};

#[allow(clippy::needless_pass_by_value)] // mirrors the proc-macro entry point, which owns its input
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    let args = args::parse(kind, args, &cx);
    let krate = args.krate();
    let pub_vis: syn::Visibility = syn::parse_quote!(pub);
    if kind == Kind::Middleware
        && let Ok(imp) = syn::parse2::<syn::ItemImpl>(item.clone())
    {
        let Some(ident) = valid::impl_ident(&imp, &cx) else {
            let errors = cx.to_compile_errors();
            return quote!(#imp #errors);
        };
        let desc = valid::implementation(&args, &imp, &ident, &cx);
        let source = emit::source_of(&imp);
        if cx.has_errors() {
            return failed(&ident, &pub_vis, &quote!(#imp), &source, &cx);
        }
        let meta = emit::middleware_meta(&ident, &pub_vis, &desc, false, &krate);
        let descriptor = emit::descriptor(&ident, &pub_vis, &Entry::Item(desc), &source);
        let imp = emit::inline_hooks(&imp);
        return quote!(#imp #meta #descriptor);
    }
    let Ok(f) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        let what = if kind == Kind::Middleware {
            "a `fn`, an `async fn` or an `impl` block"
        } else {
            "a `fn` or an `async fn`"
        };
        cx.error_spanned(&item, format!("`#[{}]` applies to {what}", kind.attr()));
        let errors = cx.to_compile_errors();
        return quote!(#item #errors);
    };
    let desc: Desc = valid::function(kind, &args, &f, &cx);
    let source = emit::source_of(&f);
    let ident = &f.sig.ident;
    if f.sig.receiver().is_some() {
        // A method: nothing can be emitted beside it inside its `impl`.
        let errors = cx.to_compile_errors();
        return quote!(#f #errors);
    }
    if cx.has_errors() {
        return failed(ident, &f.vis, &quote!(#f), &source, &cx);
    }
    let meta = (kind == Kind::Middleware)
        .then(|| emit::middleware_meta(ident, &f.vis, &desc, true, &krate));
    let finish = args
        .finish
        .is_some()
        .then(|| emit::finish_check(&desc, &krate));
    let descriptor = emit::descriptor(ident, &f.vis, &Entry::Item(desc), &source);
    let f = emit::inline_fn(f);
    quote!(#f #meta #finish #descriptor)
}

/// The item as written, its errors, and a `failed` descriptor.
fn failed(
    ident: &syn::Ident,
    vis: &syn::Visibility,
    item: &TokenStream,
    source: &str,
    cx: &Ctxt,
) -> TokenStream {
    let entry = Entry::Failed {
        name: ident.to_string(),
    };
    let descriptor = emit::descriptor(ident, vis, &entry, source);
    let errors = cx.to_compile_errors();
    quote!(#item #descriptor #errors)
}

/// The descriptor of an item, for tests that feed `chain!` without rustc.
#[cfg(test)]
pub(crate) fn describe_for_test(kind: Kind, args: TokenStream, item: TokenStream) -> Desc {
    let cx = Ctxt::default();
    let args = args::parse(kind, args, &cx);
    let desc = if let Ok(imp) = syn::parse2::<syn::ItemImpl>(item.clone()) {
        let ident = valid::impl_ident(&imp, &cx).expect("a named impl");
        valid::implementation(&args, &imp, &ident, &cx)
    } else {
        let f: syn::ItemFn = syn::parse2(item).expect("a fn");
        valid::function(kind, &args, &f, &cx)
    };
    assert!(!cx.has_errors(), "{}", cx.to_compile_errors());
    desc
}
