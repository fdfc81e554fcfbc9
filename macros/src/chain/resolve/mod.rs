//! From the parsed `chain!` and the listed items' descriptors to the
//! [`Model`]: items looked up and checked by kind, providers ordered,
//! pipelines sorted, and every parameter given its one [`Source`]
//! ([`source`]). Errors go to the [`Ctxt`]; resolution goes on after each.
//!
//! [`Source`]: super::model::Source

mod pipeline;
pub(crate) mod routes;
mod source;

use proc_macro2::Span;
use quote::{ToTokens, quote};
use syn::Path;

use super::model::{Call, Item, Model, Singleton};
use super::parse::{ChainDef, same_path};
use crate::ctxt::Ctxt;
use crate::desc::{Entry, Kind, first_span};
use crate::symbol::key;

/// Where a consumer sits, which decides what it may see.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum At {
    /// Before member `i` runs its pre hook (the handler is at `members.len()`).
    Pre(usize),
    /// The post hook of member `i`.
    Post(usize),
    /// Inside `new`, building singleton `i`.
    Startup(usize),
}

pub(crate) struct Resolver<'a> {
    def: &'a ChainDef,
    cx: &'a Ctxt,
    /// Every listed path with its descriptor.
    listed: Vec<(&'a Path, &'a Entry)>,
    request: Vec<Item<'a>>,
    /// `request` in dependency order (dependencies first).
    request_order: Vec<usize>,
    transient: Vec<Item<'a>>,
}

pub(crate) fn resolve<'a>(def: &'a ChainDef, entries: &'a [Entry], cx: &'a Ctxt) -> Model<'a> {
    let mut r = Resolver {
        def,
        cx,
        listed: def.items().into_iter().zip(entries).collect(),
        request: Vec::new(),
        request_order: Vec::new(),
        transient: Vec::new(),
    };
    r.request = r.providers(&def.request);
    r.transient = r.providers(&def.transient);
    for it in &r.transient {
        r.no_finish(*it, "`transient`: a transient value is built per parameter and dropped after its call; list it in `request { .. }` instead");
    }
    r.request_order = r.request_order();
    r.check_method_names();
    let table = routes::table(def, cx);
    let singletons = r.singletons();
    let mut slot = 0;
    let routes = def
        .routes
        .iter()
        .map(|route| r.pipeline(Some(route), &mut slot))
        .collect();
    let unmatched = r.pipeline(None, &mut slot);
    Model {
        def,
        krate: def
            .krate
            .as_ref()
            .map_or_else(|| quote!(::kiln), ToTokens::to_token_stream),
        singletons,
        request: r.request,
        transient: r.transient,
        routes,
        unmatched,
        table,
        stats_slots: def.stats.then_some(slot),
    }
}

pub(crate) fn path_str(p: &Path) -> String {
    quote!(#p).to_string().replace(' ', "")
}

pub(crate) fn span_of(p: &Path) -> Span {
    first_span(&quote!(#p))
}

impl<'a> Resolver<'a> {
    /// The item listed at `p`; `None` when its attribute failed (reported there).
    fn lookup(&self, p: &'a Path) -> Option<Item<'a>> {
        match self.listed.iter().find(|(q, _)| same_path(q, p))?.1 {
            Entry::Item(desc) => Some(Item { path: p, desc }),
            Entry::Failed { .. } => None,
        }
    }

    fn expect_kind(&self, p: &'a Path, kind: Kind) -> Option<Item<'a>> {
        let item = self.lookup(p)?;
        if item.desc.kind == kind {
            return Some(item);
        }
        let want = match kind {
            Kind::Middleware => "middleware; mark it with `#[middleware(...)]`",
            Kind::Handler => "a handler; mark the route's function with `#[handler]`",
            Kind::Provider => "a provider; mark the constructor with `#[provider]`",
        };
        self.cx.error(
            span_of(p),
            format!("{} is listed here as {want}", item.desc.who()),
        );
        None
    }

    fn providers(&self, paths: &'a [Path]) -> Vec<Item<'a>> {
        let items: Vec<_> = paths
            .iter()
            .filter_map(|p| self.expect_kind(p, Kind::Provider))
            .collect();
        for it in &items {
            if it.desc.provides().is_none() {
                self.cx.error(
                    span_of(it.path),
                    format!("{} returns nothing to provide", it.desc.who()),
                );
            }
        }
        items
    }

    fn request_index(&self, k: &str) -> Option<usize> {
        self.request
            .iter()
            .position(|i| i.desc.provides().as_deref() == Some(k))
    }

    fn transient_index(&self, k: &str) -> Option<usize> {
        self.transient
            .iter()
            .position(|i| i.desc.provides().as_deref() == Some(k))
    }

    fn singleton_index(&self, k: &str) -> Option<usize> {
        self.def.singletons.iter().position(|s| {
            let t = &s.ty;
            key(&quote!(#t)) == k
        })
    }

    /// Request-scoped providers in dependency order; a cycle is an error.
    fn request_order(&self) -> Vec<usize> {
        fn visit(r: &Resolver, i: usize, stack: &mut Vec<usize>, done: &mut Vec<usize>) {
            if done.contains(&i) {
                return;
            }
            if let Some(pos) = stack.iter().position(|&s| s == i) {
                let names: Vec<String> = stack[pos..]
                    .iter()
                    .chain([&i])
                    .map(|&s| format!("`{}`", r.request[s].desc.name))
                    .collect();
                r.cx.error(
                    span_of(r.request[i].path),
                    format!("request-scoped providers form a cycle: {}; break it by removing one of these parameters", names.join(" needs ")),
                );
                return;
            }
            stack.push(i);
            for p in &r.request[i].desc.params {
                if let Some(j) = r.request_index(&key(&p.ty)) {
                    visit(r, j, stack, done);
                }
            }
            stack.pop();
            done.push(i);
        }
        let mut done = Vec::new();
        for i in 0..self.request.len() {
            visit(self, i, &mut Vec::new(), &mut done);
        }
        done
    }

    /// A singleton named like a generated method would make a duplicate
    /// definition that rustc reports far from the cause.
    fn check_method_names(&self) {
        for s in &self.def.singletons {
            let taken = if s.field == "describe" {
                Some("`describe()`")
            } else if s.field == "stats" && self.def.stats {
                Some("`stats()` (from `options { stats }`)")
            } else {
                None
            };
            if let Some(method) = taken {
                self.cx.error(
                    s.field.span(),
                    format!("singleton `{}` clashes with the generated method {method}; rename the singleton", s.field),
                );
            }
        }
    }

    /// The singletons; a constructor's arguments are earlier singletons.
    fn singletons(&self) -> Vec<Singleton<'a>> {
        self.def
            .singletons
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ctor = s.ctor.as_ref().and_then(|path| {
                    let it = self.expect_kind(path, Kind::Provider)?;
                    self.no_finish(it, "a singleton constructor: a singleton lives as long as the app; list the provider in `request { .. }` instead, or remove `finish`");
                    if it.desc.is_async || it.desc.is_fallible() {
                        self.cx.error(span_of(path), format!("singleton constructor {} must be a plain `fn` returning the value; build async or fallible singletons before calling `new`", it.desc.who()));
                        return None;
                    }
                    Some(self.call(At::Startup(i), it, &[], &mut Vec::new()))
                });
                Singleton {
                    field: &s.field,
                    ty: &s.ty,
                    ctor,
                }
            })
            .collect()
    }

    /// A finish step runs when a request is over, so only request-scoped
    /// values have one.
    fn no_finish(&self, it: Item<'a>, listed_as: &str) {
        if it.desc.finish {
            self.cx.error(
                span_of(it.path),
                format!(
                    "{} has a finish step (`#[provider(finish)]`), which runs when a request is over, but it is listed as {listed_as}",
                    it.desc.who()
                ),
            );
        }
    }

    /// A call of `it` at `at` with every argument resolved. `transients` is
    /// the stack of transient providers being resolved, to catch a cycle.
    fn call(
        &self,
        at: At,
        it: Item<'a>,
        members: &[pipeline::Slot<'a>],
        transients: &mut Vec<usize>,
    ) -> Call<'a> {
        let recv = self.receiver(at, it, it.desc);
        let args = it
            .desc
            .params
            .iter()
            .map(|p| self.source(at, it, p, members, transients))
            .collect();
        Call {
            path: it.path,
            desc: it.desc,
            recv,
            args,
        }
    }
}
