//! The descriptor: what `#[middleware]`/`#[handler]` tell `chain!` about a function.
//!
//! Wire format (tokens inside one group):
//! `kind "name" priority phase asyncness output [ (mode (Type)) ... ]` where
//! `kind` is `mw`/`handler`/`provider`, `phase` is `pre`/`post`/`none`, `asyncness` is
//! `async`/`sync`, `output` is `unit`, `value (T)`, `result (T)`, and `mode` is
//! `ref`, `mut` or `val`; then `fn` or `method <name>` (a hook of an `impl`
//! middleware), the receiver `none`, `cfg <mode>` (a singleton of the impl's
//! type) or `state <mode>` (the value its `pre` returned), and `none` or the
//! nested descriptor of the impl's `post` hook.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    Pre,
    Post,
    /// An `impl` middleware with both hooks; `Desc::post` holds the post hook.
    Both,
    /// Around the rest of the chain, which it receives as `Next`.
    Wrap,
    None,
}

/// What a hook's `self` receiver is bound to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Recv {
    None,
    /// A singleton of the impl's type: its configuration.
    Config(Mode),
    /// The value the impl's own `pre` hook returned.
    State(Mode),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Ref,
    Mut,
    Val,
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub mode: Mode,
    pub ty: TokenStream,
}

#[derive(Clone, Debug)]
pub(crate) enum Output {
    Unit,
    Value(TokenStream),
    Result(TokenStream),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DescKind {
    Middleware,
    Handler,
    Provider,
}

#[derive(Clone, Debug)]
pub(crate) struct Desc {
    pub kind: DescKind,
    pub name: String,
    pub priority: i64,
    pub phase: Phase,
    pub is_async: bool,
    pub output: Output,
    pub params: Vec<Param>,
    /// `Some("pre")`/`Some("post")` for a hook of an `impl` middleware.
    pub method: Option<String>,
    pub recv: Recv,
    pub post: Option<Box<Desc>>,
}

impl Desc {
    pub(crate) fn is_mw(&self) -> bool {
        self.kind == DescKind::Middleware
    }

    /// How diagnostics name this item.
    pub(crate) fn who(&self) -> String {
        let kind = match self.kind {
            DescKind::Middleware => "middleware",
            DescKind::Handler => "handler",
            DescKind::Provider => "provider",
        };
        format!("{kind} `{}`", self.name)
    }

    pub(crate) fn to_tokens(&self) -> TokenStream {
        let kind = match self.kind {
            DescKind::Middleware => quote!(mw),
            DescKind::Handler => quote!(handler),
            DescKind::Provider => quote!(provider),
        };
        let name = &self.name;
        let prio = proc_macro2::Literal::i64_unsuffixed(self.priority);
        let phase = match self.phase {
            Phase::Pre => quote!(pre),
            Phase::Post => quote!(post),
            Phase::Both => quote!(both),
            Phase::Wrap => quote!(wrap),
            Phase::None => quote!(none),
        };
        let asy = if self.is_async {
            quote!(async)
        } else {
            quote!(sync)
        };
        let out = match &self.output {
            Output::Unit => quote!(unit),
            Output::Value(t) => quote!(value (#t)),
            Output::Result(t) => quote!(result (#t)),
        };
        let params = self.params.iter().map(|p| {
            let ty = &p.ty;
            match p.mode {
                Mode::Ref => quote!((ref (#ty))),
                Mode::Mut => quote!((mut (#ty))),
                Mode::Val => quote!((val (#ty))),
            }
        });
        let method = match &self.method {
            Some(m) => {
                let m = proc_macro2::Ident::new(m, Span::call_site());
                quote!(method #m)
            }
            None => quote!(fn),
        };
        let mode = |m: Mode| match m {
            Mode::Ref => quote!(ref),
            Mode::Mut => quote!(mut),
            Mode::Val => quote!(val),
        };
        let recv = match self.recv {
            Recv::None => quote!(none),
            Recv::Config(m) => {
                let m = mode(m);
                quote!(cfg #m)
            }
            Recv::State(m) => {
                let m = mode(m);
                quote!(state #m)
            }
        };
        let post = self
            .post
            .as_ref()
            .map_or_else(|| quote!(none), |p| p.to_tokens());
        quote!({ #kind #name #prio #phase #asy #out [ #(#params)* ] #method #recv #post })
    }

    /// Parses what [`Desc::to_tokens`] wrote; `None` means the tokens were not a
    /// descriptor (the user listed something that is not a kiln item).
    pub(crate) fn parse(ts: TokenStream) -> Option<Desc> {
        let mut it = ts.into_iter();
        let kind = ident(it.next()?)?;
        let name = match it.next()? {
            TokenTree::Literal(l) => l.to_string().trim_matches('"').to_owned(),
            _ => return None,
        };
        let priority = parse_int(&mut it)?;
        let phase = match ident(it.next()?)?.as_str() {
            "pre" => Phase::Pre,
            "post" => Phase::Post,
            "both" => Phase::Both,
            "wrap" => Phase::Wrap,
            _ => Phase::None,
        };
        let is_async = ident(it.next()?)? == "async";
        let output = match ident(it.next()?)?.as_str() {
            "unit" => Output::Unit,
            "value" => Output::Value(group(it.next()?)?),
            _ => Output::Result(group(it.next()?)?),
        };
        let mut params = Vec::new();
        for p in group(it.next()?)? {
            let mut pi = group(p)?.into_iter();
            let mode = match ident(pi.next()?)?.as_str() {
                "ref" => Mode::Ref,
                "mut" => Mode::Mut,
                _ => Mode::Val,
            };
            params.push(Param {
                mode,
                ty: group(pi.next()?)?,
            });
        }
        let method = match ident(it.next()?)?.as_str() {
            "method" => Some(ident(it.next()?)?),
            _ => None,
        };
        let mode = |s: String| if s == "mut" { Mode::Mut } else { Mode::Ref };
        let recv = match ident(it.next()?)?.as_str() {
            "cfg" => Recv::Config(mode(ident(it.next()?)?)),
            "state" => Recv::State(mode(ident(it.next()?)?)),
            _ => Recv::None,
        };
        let post = match it.next()? {
            TokenTree::Group(g) => Some(Box::new(Desc::parse(g.stream())?)),
            _ => None,
        };
        Some(Desc {
            kind: match kind.as_str() {
                "mw" => DescKind::Middleware,
                "handler" => DescKind::Handler,
                _ => DescKind::Provider,
            },
            name,
            priority,
            phase,
            is_async,
            output,
            params,
            method,
            recv,
            post,
        })
    }
}

fn parse_int(it: &mut impl Iterator<Item = TokenTree>) -> Option<i64> {
    match it.next()? {
        TokenTree::Literal(l) => l.to_string().parse().ok(),
        TokenTree::Punct(p) if p.as_char() == '-' => match it.next()? {
            TokenTree::Literal(l) => l.to_string().parse::<i64>().ok().map(|v| -v),
            _ => None,
        },
        TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
            parse_int(&mut g.stream().into_iter())
        }
        _ => None,
    }
}

fn ident(t: TokenTree) -> Option<String> {
    match t {
        TokenTree::Ident(i) => Some(i.to_string()),
        TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
            ident(g.stream().into_iter().next()?)
        }
        _ => None,
    }
}

fn group(t: TokenTree) -> Option<TokenStream> {
    match t {
        TokenTree::Group(g) => Some(g.stream()),
        _ => None,
    }
}

/// The dependency key of a type: its last path segment with generic arguments,
/// whitespace removed (`crate::auth::Claims` and `Claims` are one key).
pub(crate) fn key(ty: &TokenStream) -> String {
    let parsed: Result<syn::Type, _> = syn::parse2(ty.clone());
    let s = match parsed {
        Ok(syn::Type::Path(p)) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .map_or_else(|| ty.to_string(), |s| s.to_token_stream().to_string()),
        Ok(syn::Type::Group(g)) => return key(&g.elem.to_token_stream()),
        _ => ty.to_string(),
    };
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether a parameter type is `Next` (the rest of the chain, given to a
/// `wrap` middleware).
pub(crate) fn is_next(ty: &TokenStream) -> bool {
    key(ty).split('<').next() == Some("Next")
}

/// The first span of a token stream, for pointing errors at a type.
pub(crate) fn first_span(ts: &TokenStream) -> Span {
    ts.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}
