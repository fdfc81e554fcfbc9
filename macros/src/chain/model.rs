//! The resolved chain: what [`resolve`](super::resolve) decided and what
//! [`emit`](super::emit) and [`describe`](super::describe) read.
//!
//! Every parameter of every hook, provider and handler has exactly one
//! [`Source`] here. Nothing downstream of this model looks a type up again.

use proc_macro2::TokenStream;
use syn::{Ident, Path, Type};

use super::parse::ChainDef;
use crate::desc::{Desc, Mode};

/// A listed item and its descriptor.
#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    pub path: &'a Path,
    pub desc: &'a Desc,
}

pub(crate) struct Model<'a> {
    pub def: &'a ChainDef,
    /// How generated code names kiln: `crate = path`, else `::kiln`.
    pub krate: TokenStream,
    pub singletons: Vec<Singleton<'a>>,
    /// The `request` section, as listed.
    pub request: Vec<Item<'a>>,
    /// The `transient` section, as listed.
    pub transient: Vec<Item<'a>>,
    /// One pipeline per route of `def.routes`, in order.
    pub routes: Vec<Pipeline<'a>>,
    /// The global middleware around 404/405.
    pub unmatched: Pipeline<'a>,
    /// Distinct path patterns and their routes.
    pub table: Vec<PathEntry>,
    /// With `options { stats }`: how many counter slots the app has.
    pub stats_slots: Option<usize>,
}

pub(crate) struct Singleton<'a> {
    pub field: &'a Ident,
    pub ty: &'a Type,
    /// The `= ctor` that `new` builds it with; its arguments are earlier
    /// singletons ([`Source::Singleton`]).
    pub ctor: Option<Call<'a>>,
}

/// One route's pipeline: members in priority order around a handler (or the
/// 404/405 fallback).
pub(crate) struct Pipeline<'a> {
    pub members: Vec<Member<'a>>,
    /// `None` for the unmatched pipeline without a `fallback`.
    pub handler: Option<Call<'a>>,
    /// The pipeline of unmatched requests: its handler, if any, is the
    /// `fallback`, which answers unmatched paths (not a wrong method: 405).
    pub unmatched: bool,
    /// Request-scoped values built just before member `i` runs (index
    /// `members.len()`: after the handler's extractors, before its call).
    pub built: Vec<Vec<Built<'a>>>,
    /// With stats: the route's first slot. The route is `slot`, member `i`
    /// is `slot + 1 + i`, the handler `slot + 1 + members.len()`.
    pub slot: Option<usize>,
}

/// A request-scoped value built in a pipeline.
pub(crate) struct Built<'a> {
    /// Its index in [`Model::request`].
    pub index: usize,
    pub call: Call<'a>,
}

pub(crate) struct Member<'a> {
    pub item: Item<'a>,
    /// After the listing's override.
    pub priority: i32,
    /// Listed on the route or its scope rather than in `middleware`.
    pub local: bool,
    pub hooks: Hooks<'a>,
}

pub(crate) enum Hooks<'a> {
    Pre(Call<'a>),
    Post(Call<'a>),
    Both(Call<'a>, Call<'a>),
    Wrap(Call<'a>),
}

impl<'a> Hooks<'a> {
    pub(crate) fn pre(&self) -> Option<&Call<'a>> {
        match self {
            Hooks::Pre(c) | Hooks::Both(c, _) => Some(c),
            _ => None,
        }
    }

    /// Every hook's call, `pre` before `post`.
    pub(crate) fn calls(&self) -> Vec<&Call<'a>> {
        match self {
            Hooks::Pre(c) | Hooks::Post(c) | Hooks::Wrap(c) => vec![c],
            Hooks::Both(pre, post) => vec![pre, post],
        }
    }

    pub(crate) fn post(&self) -> Option<&Call<'a>> {
        match self {
            Hooks::Post(c) | Hooks::Both(_, c) => Some(c),
            _ => None,
        }
    }
}

/// A call of a hook, handler or provider with every argument resolved.
pub(crate) struct Call<'a> {
    pub path: &'a Path,
    pub desc: &'a Desc,
    /// `&self` of an `impl` middleware hook.
    pub recv: Option<Arg<'a>>,
    pub args: Vec<Arg<'a>>,
}

pub(crate) struct Arg<'a> {
    pub mode: Mode,
    /// As written by the consumer (`Claims` of `&Claims`); `None` for `&self`.
    pub ty: Option<&'a TokenStream>,
    pub source: Source<'a>,
}

/// Where a value comes from.
pub(crate) enum Source<'a> {
    /// The request being served.
    Request,
    /// The response slot (post hooks).
    Response,
    /// The connection's arena.
    Arena,
    /// The rest of the chain (`wrap` hooks).
    Next,
    /// The app's statistics (`options { stats }`).
    Stats,
    /// Singleton `i` of [`Model::singletons`].
    Singleton(usize),
    /// Request-scoped value `i` of [`Model::request`].
    RequestScoped(usize),
    /// A transient provider, called in place.
    Transient(Box<Call<'a>>),
    /// What member `i`'s pre hook returned.
    Output(usize),
    /// Member `i`'s own `pre` value, as its `post`'s `&self`.
    State(usize),
    /// `FromRequest`, run just before the call.
    Extractor,
    /// Reported as an error; nothing is emitted for a chain with errors.
    Unresolved,
}

/// One distinct path pattern and the routes (by index) declared on it.
pub(crate) struct PathEntry {
    pub pattern: String,
    /// Parameter names in pattern order; empty for a literal path.
    pub params: Vec<String>,
    pub routes: Vec<usize>,
}

impl<'a> Model<'a> {
    /// Every pipeline, routes first, with its route index (`None`: unmatched).
    pub(crate) fn pipelines(&self) -> impl Iterator<Item = (&Pipeline<'a>, Option<usize>)> {
        self.routes
            .iter()
            .enumerate()
            .map(|(i, p)| (p, Some(i)))
            .chain(std::iter::once((&self.unmatched, None)))
    }
}

impl<'a> Pipeline<'a> {
    /// Every top-level call: hooks, request-scoped providers, the handler.
    pub(crate) fn calls(&self) -> impl Iterator<Item = &Call<'a>> {
        let hooks = self.members.iter().flat_map(|m| m.hooks.calls());
        hooks
            .chain(self.built.iter().flatten().map(|b| &b.call))
            .chain(&self.handler)
    }
}
