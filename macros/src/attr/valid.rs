//! What an attributed item must look like, and its descriptor.
//!
//! Every rule reports into the [`Ctxt`] and lets the others run, so three
//! mistakes are three errors in one build. The descriptor is built even when
//! a rule failed; the caller emits a `failed` placeholder instead then.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

use super::args::Args;
use crate::ctxt::Ctxt;
use crate::desc::{Desc, Kind, Mode, Output, Param, Phase, Recv};
use crate::symbol::{Special, key, special};

fn param(arg: &syn::FnArg, cx: &Ctxt) -> Option<Param> {
    let syn::FnArg::Typed(pt) = arg else {
        cx.error_spanned(arg, "kiln functions cannot take `self` here");
        return None;
    };
    Some(match &*pt.ty {
        syn::Type::Reference(r) if r.lifetime.is_none() => Param {
            mode: if r.mutability.is_some() {
                Mode::Mut
            } else {
                Mode::Ref
            },
            ty: r.elem.to_token_stream(),
        },
        syn::Type::Reference(r) => {
            cx.error_spanned(
                &r.lifetime,
                "remove the lifetime: injected references are borrowed for one call only",
            );
            return None;
        }
        ty => Param {
            mode: Mode::Val,
            ty: ty.to_token_stream(),
        },
    })
}

fn params<'a>(inputs: impl Iterator<Item = &'a syn::FnArg>, cx: &Ctxt) -> Vec<Param> {
    inputs.filter_map(|a| param(a, cx)).collect()
}

pub(crate) fn output(ret: &syn::ReturnType) -> Output {
    let syn::ReturnType::Type(_, ty) = ret else {
        return Output::Unit;
    };
    if let syn::Type::Tuple(t) = &**ty
        && t.elems.is_empty()
    {
        return Output::Unit;
    }
    if let syn::Type::Path(p) = &**ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
        && let syn::PathArguments::AngleBracketed(a) = &last.arguments
        && let Some(syn::GenericArgument::Type(ok)) = a.args.first()
    {
        return Output::Result(ok.to_token_stream());
    }
    Output::Value(ty.to_token_stream())
}

fn takes_response(params: &[Param]) -> bool {
    params
        .iter()
        .any(|p| p.mode == Mode::Mut && special(&p.ty) == Some(Special::Response))
}

fn missing_priority(args: &Args, ident: &syn::Ident, cx: &Ctxt) {
    if args.priority.is_none() && !args.priority_written {
        // At the attribute: that is where the priority goes.
        cx.error(
            Span::call_site(),
            format!("middleware `{ident}` needs a priority: add `priority = <integer>` to `#[middleware]`"),
        );
    }
}

fn desc(
    kind: Kind,
    args: &Args,
    ident: &syn::Ident,
    sig: &syn::Signature,
    params: Vec<Param>,
) -> Desc {
    Desc {
        kind,
        name: args.name.clone().unwrap_or_else(|| ident.to_string()),
        ident: ident.clone(),
        priority: args.priority.unwrap_or(0),
        phase: Phase::None,
        is_async: sig.asyncness.is_some(),
        output: output(&sig.output),
        params,
        method: None,
        recv: Recv::None,
        post: None,
        finish: args.finish.is_some(),
    }
}

/// `#[middleware]`, `#[handler]` or `#[provider]` on a `fn`.
pub(crate) fn function(kind: Kind, args: &Args, f: &syn::ItemFn, cx: &Ctxt) -> Desc {
    let ps = params(f.sig.inputs.iter(), cx);
    let ident = &f.sig.ident;
    let phase = if kind == Kind::Middleware {
        missing_priority(args, ident, cx);
        fn_phase(args, f, &ps, cx)
    } else {
        Phase::None
    };
    let mut d = desc(kind, args, ident, &f.sig, ps);
    d.phase = phase;
    if let (Some(span), Output::Unit) = (args.finish, &d.output) {
        cx.error(span, format!("provider `{ident}` returns nothing to finish: a finish step receives the value the provider returns; return it, or remove `finish`"));
    }
    d
}

fn fn_phase(args: &Args, f: &syn::ItemFn, params: &[Param], cx: &Ctxt) -> Phase {
    let ident = &f.sig.ident;
    if let Some(span) = args.wrap {
        if args.pre.is_some() || args.post.is_some() {
            cx.error(span, format!("`wrap` middleware `{ident}` has no other phase: it runs around the rest of the chain"));
        }
        check_wrap(&f.sig, params, cx);
        return Phase::Wrap;
    }
    match (args.pre, args.post) {
        (None, None) => {
            cx.error(
                Span::call_site(),
                format!("middleware `{ident}` has no phase: add `pre_route`, `post_route` or `wrap` to `#[middleware]`"),
            );
            Phase::Pre
        }
        (Some(_), Some(span)) => {
            cx.error(span, format!("a `fn` middleware has one phase; split `{ident}` into a `pre_route` and a `post_route` middleware"));
            Phase::Pre
        }
        (None, Some(_)) => {
            if !takes_response(params) {
                cx.error_spanned(
                    ident,
                    format!("`post_route` middleware `{ident}` must take `&mut Response`"),
                );
            }
            if !matches!(output(&f.sig.output), Output::Unit) {
                cx.error_spanned(&f.sig.output, format!("`post_route` middleware `{ident}` must return `()`: it can only modify the response"));
            }
            Phase::Post
        }
        (Some(_), None) => {
            let response = f.sig.inputs.iter().find(|a| {
                matches!(a, syn::FnArg::Typed(t) if matches!(&*t.ty, syn::Type::Reference(r)
                    if r.mutability.is_some() && special(&r.elem.to_token_stream()) == Some(Special::Response)))
            });
            if let Some(arg) = response {
                cx.error_spanned(arg, format!("`pre_route` middleware `{ident}` cannot take `&mut Response`: there is none yet; use `post_route`"));
            }
            Phase::Pre
        }
    }
}

/// A `wrap` hook is async, takes `Next` once, and returns the response.
fn check_wrap(sig: &syn::Signature, params: &[Param], cx: &Ctxt) {
    let ident = &sig.ident;
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token.span,
            format!(
                "`wrap` middleware `{ident}` must be an `async fn`: it awaits the rest of the chain"
            ),
        );
    }
    let nexts = params
        .iter()
        .filter(|p| special(&p.ty) == Some(Special::Next))
        .count();
    if nexts != 1 {
        cx.error_spanned(ident, format!("`wrap` middleware `{ident}` must take the rest of the chain once, as `next: Next<'_>`"));
    }
    if matches!(output(&sig.output), Output::Unit) {
        cx.error_spanned(ident, format!("`wrap` middleware `{ident}` must return the response (`-> Response`, or anything `IntoResponse`)"));
    }
}

fn receiver(f: &syn::ImplItemFn) -> Option<(Mode, &syn::Receiver)> {
    match f.sig.inputs.first() {
        Some(syn::FnArg::Receiver(r)) => {
            let mode = match (&r.reference, &r.mutability) {
                (Some(_), Some(_)) => Mode::Mut,
                (Some(_), None) => Mode::Ref,
                (None, _) => Mode::Val,
            };
            Some((mode, r))
        }
        _ => None,
    }
}

/// One hook (`pre`, `post` or `wrap`) of an `impl` middleware.
fn hook(f: &syn::ImplItemFn, self_ty: &syn::Type, phase: Phase, cx: &Ctxt) -> Desc {
    let ps = params(
        f.sig
            .inputs
            .iter()
            .filter(|a| !matches!(a, syn::FnArg::Receiver(_))),
        cx,
    );
    // `Self` means the impl's type: that is what downstream consumers name.
    let own = |t: TokenStream| {
        if key(&t) == "Self" {
            self_ty.to_token_stream()
        } else {
            t
        }
    };
    let output = match output(&f.sig.output) {
        Output::Value(t) => Output::Value(own(t)),
        Output::Result(t) => Output::Result(own(t)),
        Output::Unit => Output::Unit,
    };
    Desc {
        kind: Kind::Middleware,
        name: String::new(),
        ident: f.sig.ident.clone(),
        priority: 0,
        phase,
        is_async: f.sig.asyncness.is_some(),
        output,
        params: ps,
        method: Some(f.sig.ident.to_string()),
        recv: Recv::None,
        post: None,
        finish: false,
    }
}

/// A hook borrows its `self`: the state by `&`/`&mut`, a shared configuration by `&`.
fn check_receiver(ident: &syn::Ident, recv: Recv, r: Option<&syn::Receiver>, cx: &Ctxt) {
    let Some(r) = r else { return };
    if matches!(recv, Recv::Config(Mode::Val) | Recv::State(Mode::Val)) {
        cx.error(
            r.self_token.span,
            format!("hooks of middleware `{ident}` take `&self` or `&mut self`, not `self`"),
        );
    }
    if recv == Recv::Config(Mode::Mut) {
        cx.error_spanned(
            r,
            format!("a `{ident}` singleton is shared: take `&self`, not `&mut self`"),
        );
    }
}

/// The name of the type an `impl` middleware is on, or the error.
pub(crate) fn impl_ident(imp: &syn::ItemImpl, cx: &Ctxt) -> Option<syn::Ident> {
    let ident = match &*imp.self_ty {
        syn::Type::Path(p) if imp.trait_.is_none() && imp.generics.params.is_empty() => {
            p.path.segments.last().map(|s| s.ident.clone())
        }
        _ => None,
    };
    if ident.is_none() {
        cx.error_spanned(
            &imp.self_ty,
            "`#[middleware]` applies to an inherent `impl` of a named type without generics",
        );
    }
    ident
}

/// `#[middleware]` on `impl T { fn pre(..); fn post(..) }` or `{ async fn wrap(..) }`:
/// `&self` in a hook is the `T` singleton (configuration), except in `post`
/// when `pre` returns `T`: then it is that value, kept on the stack between
/// the two hooks.
pub(crate) fn implementation(
    args: &Args,
    imp: &syn::ItemImpl,
    ident: &syn::Ident,
    cx: &Ctxt,
) -> Desc {
    let find = |name: &str| {
        imp.items.iter().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
    };
    missing_priority(args, ident, cx);
    let mut desc = match args.wrap {
        Some(span) => wrap_impl(args, imp, ident, find("wrap"), span, cx),
        None => hooks_impl(args, imp, ident, find("pre"), find("post"), cx),
    };
    desc.name = args.name.clone().unwrap_or_else(|| ident.to_string());
    desc.priority = args.priority.unwrap_or(0);
    if let Some(post) = desc.post.as_mut() {
        post.name.clone_from(&desc.name);
        post.priority = desc.priority;
    }
    desc
}

fn hooks_impl(
    args: &Args,
    imp: &syn::ItemImpl,
    ident: &syn::Ident,
    pre: Option<&syn::ImplItemFn>,
    post: Option<&syn::ImplItemFn>,
    cx: &Ctxt,
) -> Desc {
    let check = |declared: Option<Span>,
                 found: Option<&syn::ImplItemFn>,
                 phase: &str,
                 method: &str| {
        match (declared, found) {
            (Some(span), None) => cx.error(span, format!("`{phase}` middleware `{ident}` must define `fn {method}` in this `impl`")),
            (None, Some(f)) => cx.error_spanned(&f.sig.ident, format!("`{ident}` defines `fn {method}` but is not declared `{phase}`; add `{phase}` to `#[middleware]`")),
            _ => {}
        }
    };
    check(args.pre, pre, "pre_route", "pre");
    check(args.post, post, "post_route", "post");
    if args.pre.is_none() && args.post.is_none() && pre.is_none() && post.is_none() {
        cx.error_spanned(ident, format!("middleware `{ident}` has no phase: define `fn pre` with `pre_route`, `fn post` with `post_route`, or `fn wrap` with `wrap`"));
    }
    let self_ty = &imp.self_ty;
    let pre_desc = pre.map(|f| {
        let mut d = hook(f, self_ty, Phase::Pre, cx);
        let r = receiver(f);
        d.recv = r.map_or(Recv::None, |(m, _)| Recv::Config(m));
        check_receiver(ident, d.recv, r.map(|(_, r)| r), cx);
        d
    });
    let post_desc = post.map(|f| {
        let mut d = hook(f, self_ty, Phase::Post, cx);
        if !takes_response(&d.params) {
            cx.error_spanned(&f.sig.ident, format!("`post_route` middleware `{ident}` must take `&mut Response` in `fn post`"));
        }
        if !matches!(d.output, Output::Unit) {
            cx.error_spanned(&f.sig.output, format!("`fn post` of middleware `{ident}` must return `()`: it can only modify the response"));
        }
        let state = pre_desc.as_ref().and_then(Desc::provides) == Some(key(&self_ty.to_token_stream()));
        let r = receiver(f);
        d.recv = match r {
            None => Recv::None,
            Some((m, _)) if state => Recv::State(m),
            Some((m, _)) => Recv::Config(m),
        };
        check_receiver(ident, d.recv, r.map(|(_, r)| r), cx);
        d
    });
    match (pre_desc, post_desc) {
        (Some(mut pre), Some(post)) => {
            pre.phase = Phase::Both;
            pre.post = Some(Box::new(post));
            pre
        }
        (Some(pre), None) => pre,
        (None, Some(post)) => post,
        // Reported above; a placeholder keeps the other checks going.
        (None, None) => Desc {
            kind: Kind::Middleware,
            name: String::new(),
            ident: ident.clone(),
            priority: 0,
            phase: Phase::Pre,
            is_async: false,
            output: Output::Unit,
            params: Vec::new(),
            method: None,
            recv: Recv::None,
            post: None,
            finish: false,
        },
    }
}

fn wrap_impl(
    args: &Args,
    imp: &syn::ItemImpl,
    ident: &syn::Ident,
    wrap: Option<&syn::ImplItemFn>,
    span: Span,
    cx: &Ctxt,
) -> Desc {
    if let Some(other) = args.pre.or(args.post) {
        cx.error(other, format!("`wrap` middleware `{ident}` has no other phase: it runs around the rest of the chain"));
    }
    let Some(f) = wrap else {
        cx.error(span, format!("`wrap` middleware `{ident}` must define `async fn wrap(&self, next: Next<'_>) -> Response` in this `impl`"));
        return hook_placeholder(ident);
    };
    let mut d = hook(f, &imp.self_ty, Phase::Wrap, cx);
    d.recv = match receiver(f) {
        Some((Mode::Ref, _)) => Recv::Config(Mode::Ref),
        Some((_, r)) => {
            cx.error_spanned(
                r,
                format!("a `{ident}` singleton is shared: take `&self` in `fn wrap`"),
            );
            Recv::None
        }
        None => Recv::None,
    };
    check_wrap(&f.sig, &d.params, cx);
    d
}

fn hook_placeholder(ident: &syn::Ident) -> Desc {
    Desc {
        kind: Kind::Middleware,
        name: String::new(),
        ident: ident.clone(),
        priority: 0,
        phase: Phase::Wrap,
        is_async: true,
        output: Output::Unit,
        params: Vec::new(),
        method: Some("wrap".into()),
        recv: Recv::None,
        post: None,
        finish: false,
    }
}
