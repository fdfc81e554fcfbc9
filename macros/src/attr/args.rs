//! The attributes' arguments: `#[middleware(priority = N, pre_route, post_route,
//! wrap, name = "...", crate = path)]`, `#[handler(crate = path)]`,
//! `#[provider(finish, crate = path)]`. Syntax only; what the item must look like
//! for them is checked in [`valid`](super::valid).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::desc::Kind;

#[derive(Default)]
pub(crate) struct Args {
    pub priority: Option<i32>,
    /// A `priority` was written (perhaps malformed, which was reported).
    pub priority_written: bool,
    pub pre: Option<Span>,
    pub post: Option<Span>,
    pub wrap: Option<Span>,
    pub name: Option<String>,
    /// `#[provider(finish)]`: the value has a `Finish` step.
    pub finish: Option<Span>,
    pub krate: Option<syn::Path>,
}

impl Args {
    /// The path generated code names kiln by: `crate = path`, else `::kiln`.
    pub(crate) fn krate(&self) -> TokenStream {
        self.krate
            .as_ref()
            .map_or_else(|| quote!(::kiln), ToTokens::to_token_stream)
    }
}

const MIDDLEWARE_ARGS: &str = "`priority`, `pre_route`, `post_route`, `wrap`, `name` or `crate`";

pub(crate) fn parse(kind: Kind, args: TokenStream, cx: &Ctxt) -> Args {
    let mut out = Args::default();
    let parser = syn::meta::parser(|meta| {
        let dup = |what: &str| meta.error(format!("duplicate `{what}` argument"));
        let flag = |slot: &mut Option<Span>, what: &str| {
            if slot.replace(meta.path.span()).is_some() {
                cx.push(dup(what));
            }
        };
        if meta.path.is_ident("crate") {
            let path: syn::Path = meta.value()?.parse()?;
            if out.krate.replace(path).is_some() {
                cx.push(dup("crate"));
            }
        } else if kind == Kind::Provider && meta.path.is_ident("finish") {
            flag(&mut out.finish, "finish");
        } else if kind == Kind::Provider {
            cx.push(meta.error(format!(
                "unknown argument `{}`; `#[provider]` takes `finish` or `crate = path`",
                meta.path.to_token_stream().to_string().replace(' ', "")
            )));
            skip_value(&meta)?;
        } else if kind != Kind::Middleware {
            cx.push(meta.error(format!(
                "`#[{}]` takes no arguments but `crate = path`",
                kind.attr()
            )));
            skip_value(&meta)?;
        } else if meta.path.is_ident("priority") {
            out.priority_written = true;
            let expr: syn::Expr = meta.value()?.parse()?;
            match priority(&expr) {
                Ok(_) if out.priority.is_some() => cx.push(dup("priority")),
                Ok(v) => out.priority = Some(v),
                Err(e) => cx.push(e),
            }
        } else if meta.path.is_ident("pre_route") {
            flag(&mut out.pre, "pre_route");
        } else if meta.path.is_ident("post_route") {
            flag(&mut out.post, "post_route");
        } else if meta.path.is_ident("wrap") {
            flag(&mut out.wrap, "wrap");
        } else if meta.path.is_ident("name") {
            let s: syn::LitStr = meta.value()?.parse()?;
            if out.name.replace(s.value()).is_some() {
                cx.push(dup("name"));
            }
        } else {
            cx.push(meta.error(format!(
                "unknown argument `{}`; expected {MIDDLEWARE_ARGS}",
                meta.path.to_token_stream().to_string().replace(' ', "")
            )));
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.push(e);
    }
    out
}

/// Skips a `= value` so parsing can go on to the next argument.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    }
    Ok(())
}

/// `N` or `-N` fitting an `i32`, also when `macro_rules!` wrapped it in an
/// invisible group; reported at the literal.
pub(crate) fn priority(expr: &syn::Expr) -> syn::Result<i32> {
    let bad = || {
        syn::Error::new_spanned(
            expr,
            "`priority` must be an integer literal, like `priority = 10`",
        )
    };
    let (neg, lit) = match expr {
        syn::Expr::Lit(l) => (false, &l.lit),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match &*u.expr {
            syn::Expr::Lit(l) => (true, &l.lit),
            _ => return Err(bad()),
        },
        syn::Expr::Group(g) => return priority(&g.expr),
        _ => return Err(bad()),
    };
    let syn::Lit::Int(int) = lit else {
        return Err(bad());
    };
    let magnitude: i64 = int.base10_parse().map_err(|_| out_of_range(int))?;
    i32::try_from(if neg { -magnitude } else { magnitude }).map_err(|_| out_of_range(int))
}

fn out_of_range(int: &syn::LitInt) -> syn::Error {
    syn::Error::new(
        int.span(),
        format!(
            "`priority = {}` is out of range: a priority is an `i32` ({} to {})",
            int.base10_digits(),
            i32::MIN,
            i32::MAX
        ),
    )
}
