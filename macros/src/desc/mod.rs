//! The descriptor: what `#[middleware]`, `#[handler]` and `#[provider]` tell
//! `chain!` about an item. The attribute writes it ([`wire`]'s `ToTokens`)
//! into a hidden `macro_rules!` beside the item; `chain!` collects the
//! descriptors of everything it lists and reads them back (`Parse`).

mod wire;

use proc_macro2::{Span, TokenStream};

use crate::symbol::key;

/// What kind of item a descriptor describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Middleware,
    Handler,
    Provider,
}

impl Kind {
    /// The attribute's name.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Middleware => "middleware",
            Kind::Handler => "handler",
            Kind::Provider => "provider",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    Pre,
    Post,
    /// An `impl` middleware with both hooks; `Desc::post` holds the post hook.
    Both,
    /// Around the rest of the chain, which it receives as `Next`.
    Wrap,
    /// Handlers and providers.
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

/// How a parameter takes its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    Ref,
    Mut,
    Val,
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub mode: Mode,
    /// The type without its reference, as written (spans kept for errors).
    pub ty: TokenStream,
}

#[derive(Clone, Debug)]
pub(crate) enum Output {
    Unit,
    Value(TokenStream),
    /// `Result<T, E>`: the `T`; an `Err` short-circuits.
    Result(TokenStream),
}

/// A described item, or the placeholder an attribute leaves when it
/// reported an error (so `chain!` does not report the item again).
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    Item(Desc),
    Failed { name: String },
}

#[derive(Clone, Debug)]
pub(crate) struct Desc {
    pub kind: Kind,
    pub name: String,
    /// The item's own identifier (the fn, or the hook's method), with its
    /// span: checks about the item point at its definition.
    pub ident: proc_macro2::Ident,
    pub priority: i32,
    pub phase: Phase,
    pub is_async: bool,
    pub output: Output,
    pub params: Vec<Param>,
    /// `Some("pre")`, `Some("post")`, `Some("wrap")` for a hook of an `impl` middleware.
    pub method: Option<String>,
    pub recv: Recv,
    /// The post hook of a [`Phase::Both`] middleware.
    pub post: Option<Box<Desc>>,
    /// `#[provider(finish)]`: its value is finished by `kiln::Finish` when
    /// the request is over.
    pub finish: bool,
}

impl Desc {
    pub(crate) fn is_mw(&self) -> bool {
        self.kind == Kind::Middleware
    }

    /// How diagnostics name this item: "handler `me`".
    pub(crate) fn who(&self) -> String {
        format!("{} `{}`", self.kind.attr(), self.name)
    }

    /// The key of what it provides downstream: a pre hook's or provider's
    /// output (a `wrap` returns the response and provides nothing).
    pub(crate) fn provides(&self) -> Option<String> {
        if self.phase == Phase::Wrap || self.phase == Phase::Post {
            return None;
        }
        match &self.output {
            Output::Unit => None,
            Output::Value(t) | Output::Result(t) => Some(key(t)).filter(|k| k != "()"),
        }
    }

    pub(crate) fn is_fallible(&self) -> bool {
        matches!(self.output, Output::Result(_))
    }
}

/// The first span of a token stream, for pointing errors at a type.
pub(crate) fn first_span(ts: &TokenStream) -> Span {
    ts.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// `ts` with every token (groups too) at `span`'s location, keeping its
/// own hygiene: an error in the expression is reported at that one place,
/// not across the whole `chain!`.
pub(crate) fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => {
                let mut out = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                out.set_span(g.span().located_at(span));
                proc_macro2::TokenTree::Group(out)
            }
            mut t => {
                t.set_span(t.span().located_at(span));
                t
            }
        })
        .collect()
}
