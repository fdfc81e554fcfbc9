//! `#[middleware(...)]` and `#[handler]`: keep the function, emit its descriptor.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;

use crate::desc::{Desc, DescKind, Mode, Output, Param, Phase};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Middleware,
    Handler,
    Provider,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Middleware => "middleware",
            Kind::Handler => "handler",
            Kind::Provider => "provider",
        }
    }
}

#[derive(Default)]
struct Args {
    priority: Option<i64>,
    pre: Option<Span>,
    post: Option<Span>,
    name: Option<String>,
}

/// Collects every error so a user with three bad arguments sees three errors.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

fn parse_args(kind: Kind, args: TokenStream, errs: &mut Errors) -> Args {
    let mut out = Args::default();
    let mut seen_priority = false;
    if kind != Kind::Middleware {
        if !args.is_empty() {
            errs.push(syn::Error::new_spanned(
                args,
                format!("`#[{}]` takes no arguments", kind.attr()),
            ));
        }
        return out;
    }
    let parser = syn::meta::parser(|meta| {
        let dup = |what: &str| meta.error(format!("duplicate `{what}` argument"));
        if meta.path.is_ident("priority") {
            seen_priority = true;
            let lit: syn::Expr = meta.value()?.parse()?;
            let value = int_literal(lit.to_token_stream()).ok_or_else(|| {
                syn::Error::new_spanned(
                    &lit,
                    "`priority` must be an integer literal, like `priority = 10`",
                )
            });
            match value {
                Ok(_) if out.priority.is_some() => errs.push(dup("priority")),
                Ok(v) => out.priority = Some(v),
                Err(e) => errs.push(e),
            }
        } else if meta.path.is_ident("pre_route") {
            if out.pre.replace(meta.path.span()).is_some() {
                errs.push(dup("pre_route"));
            }
        } else if meta.path.is_ident("post_route") {
            if out.post.replace(meta.path.span()).is_some() {
                errs.push(dup("post_route"));
            }
        } else if meta.path.is_ident("name") {
            let s: syn::LitStr = meta.value()?.parse()?;
            if out.name.replace(s.value()).is_some() {
                errs.push(dup("name"));
            }
        } else {
            errs.push(meta.error(format!(
                "unknown argument `{}`; expected `priority`, `pre_route`, `post_route` or `name`",
                meta.path.to_token_stream().to_string().replace(' ', "")
            )));
            // Skip a `= value` so parsing can go on to the next argument.
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errs.push(e);
    }
    if seen_priority && out.priority.is_none() {
        out.priority = Some(0); // already reported as malformed; don't report it missing too
    }
    out
}

/// Reads `N` or `-N`, also when `macro_rules!` wrapped it in invisible groups.
fn int_literal(ts: TokenStream) -> Option<i64> {
    let mut neg = false;
    let mut it = ts.into_iter().peekable();
    if let Some(proc_macro2::TokenTree::Punct(p)) = it.peek() {
        neg = p.as_char() == '-';
        if neg {
            it.next();
        }
    }
    let v = match (it.next()?, it.next()) {
        (proc_macro2::TokenTree::Literal(l), None) => {
            syn::LitInt::from(l).base10_parse::<i64>().ok()?
        }
        (proc_macro2::TokenTree::Group(g), None)
            if g.delimiter() == proc_macro2::Delimiter::None =>
        {
            int_literal(g.stream())?
        }
        _ => return None,
    };
    Some(if neg { -v } else { v })
}

fn param(arg: &syn::FnArg, errs: &mut Errors) -> Option<Param> {
    let syn::FnArg::Typed(pt) = arg else {
        errs.push(syn::Error::new_spanned(
            arg,
            "kiln functions cannot take `self` here",
        ));
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
            errs.push(syn::Error::new_spanned(
                &r.lifetime,
                "remove the lifetime: injected references are borrowed for one call only",
            ));
            return None;
        }
        ty => Param {
            mode: Mode::Val,
            ty: ty.to_token_stream(),
        },
    })
}

fn output(ret: &syn::ReturnType) -> Output {
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

/// A name for the descriptor that is unique in the crate: the function name and
/// a hash of its tokens (two items with the same name and signature in one
/// crate would collide, and rustc would say so).
fn mangled(f: &syn::ItemFn) -> syn::Ident {
    let text = f.to_token_stream().to_string();
    let crate_name = std::env::var("CARGO_CRATE_NAME").unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in crate_name.bytes().chain(text.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format_ident!("__kiln_desc_{}_{:016x}", f.sig.ident, h)
}

#[allow(clippy::needless_pass_by_value)] // mirrors the proc-macro entry point, which owns its input
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errs = Errors::default();
    let args = parse_args(kind, args, &mut errs);
    let Ok(f) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        {
            let e = syn::Error::new(
                Span::call_site(),
                format!("`#[{}]` applies to a `fn` or `async fn`", kind.attr()),
            );
            return quote!(#item)
                .into_iter()
                .chain(e.to_compile_error())
                .collect();
        }
    };
    let desc = match describe(kind, &args, &f, errs) {
        Ok(d) => d,
        Err(e) => {
            // Keep the function so the rest of the crate still type-checks.
            let err = e.to_compile_error();
            return quote!(#f #err);
        }
    };
    let ident = &f.sig.ident;
    let payload = desc.to_tokens();
    let mac = mangled(&f);
    let vis = &f.vis;
    let meta = (kind == Kind::Middleware).then(|| {
        let name = &desc.name;
        let prio = desc.priority;
        let prio = i32::try_from(prio).unwrap_or(0);
        quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #ident {}
            impl ::kiln::Middleware for #ident {
                const NAME: &'static str = #name;
                const PRIORITY: i32 = #prio;
            }
        }
    });
    quote! {
        #f
        #meta
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #mac {
            ( [ ( $($head:tt)* ) $( ( $($tail:tt)* ) )* ] [ $($acc:tt)* ] $($rest:tt)* ) => {
                $($head)*! { [ $( ( $($tail)* ) )* ] [ $($acc)* #payload ] $($rest)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #mac as #ident;
    }
}

/// Reads the function's signature into a descriptor, or every error found.
fn describe(kind: Kind, args: &Args, f: &syn::ItemFn, mut errs: Errors) -> syn::Result<Desc> {
    let params: Vec<Param> = f
        .sig
        .inputs
        .iter()
        .filter_map(|a| param(a, &mut errs))
        .collect();
    let ident = &f.sig.ident;
    let phase = if kind == Kind::Middleware {
        check_phase(args, f, &params, &mut errs)
    } else {
        Phase::None
    };
    if kind == Kind::Middleware && args.priority.is_none() {
        errs.push(syn::Error::new_spanned(
            ident,
            format!("middleware `{ident}` needs a priority: add `priority = <integer>` to `#[middleware]`"),
        ));
    }
    if let Some(e) = errs.0 {
        return Err(e);
    }
    Ok(Desc {
        kind: match kind {
            Kind::Middleware => DescKind::Middleware,
            Kind::Handler => DescKind::Handler,
            Kind::Provider => DescKind::Provider,
        },
        name: args.name.clone().unwrap_or_else(|| ident.to_string()),
        priority: args.priority.unwrap_or(0),
        phase,
        is_async: f.sig.asyncness.is_some(),
        output: output(&f.sig.output),
        params,
    })
}

/// The descriptor of an item, for tests that feed `chain!` without rustc.
#[cfg(test)]
pub(crate) fn describe_for_test(kind: Kind, args: TokenStream, item: TokenStream) -> Desc {
    let mut errs = Errors::default();
    let args = parse_args(kind, args, &mut errs);
    let f: syn::ItemFn = syn::parse2(item).expect("a fn");
    describe(kind, &args, &f, errs).expect("a valid item")
}

fn check_phase(args: &Args, f: &syn::ItemFn, params: &[Param], errs: &mut Errors) -> Phase {
    let ident = &f.sig.ident;
    let takes_response = params
        .iter()
        .any(|p| p.mode == Mode::Mut && crate::desc::key(&p.ty) == "Response");
    match (args.pre, args.post) {
        (None, None) => {
            errs.push(syn::Error::new_spanned(
                ident,
                format!("middleware `{ident}` has no phase: add `pre_route` or `post_route` to `#[middleware]`"),
            ));
            Phase::Pre
        }
        (Some(_), Some(span)) => {
            errs.push(syn::Error::new(
                span,
                format!("a `fn` middleware has one phase; split `{ident}` into a `pre_route` and a `post_route` middleware"),
            ));
            Phase::Pre
        }
        (None, Some(_)) if !takes_response => {
            errs.push(syn::Error::new_spanned(
                ident,
                format!("`post_route` middleware `{ident}` must take `&mut Response`"),
            ));
            Phase::Post
        }
        (None, Some(_)) => {
            if !matches!(output(&f.sig.output), Output::Unit) {
                errs.push(syn::Error::new_spanned(
                    &f.sig.output,
                    format!("`post_route` middleware `{ident}` must return `()`: it can only modify the response"),
                ));
            }
            Phase::Post
        }
        (Some(span), None) if takes_response => {
            errs.push(syn::Error::new(
                span,
                format!("`pre_route` middleware `{ident}` cannot take `&mut Response`: there is none yet; use `post_route`"),
            ));
            Phase::Pre
        }
        (Some(_), None) => Phase::Pre,
    }
}
