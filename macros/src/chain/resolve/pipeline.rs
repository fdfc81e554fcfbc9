//! One route's pipeline: its members sorted by priority, each hook and the
//! handler resolved at its position, and where each request-scoped value is
//! built.

use super::{At, Resolver, span_of};
use crate::chain::model::{Arg, Built, Call, Hooks, Item, Member, Pipeline, Source};
use crate::chain::parse::{Listed, Route, same_path};
use crate::desc::{Kind, Phase};
use crate::symbol::{key, path_extractor};

/// A member before its hooks are resolved: what `source` needs to know
/// about the pipeline (who provides what, at which position).
#[derive(Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub item: Item<'a>,
    pub priority: i32,
    pub local: bool,
}

impl<'a> Resolver<'a> {
    /// The pipeline of `route`, or of unmatched requests; takes its stats
    /// slots from `slot` on.
    pub(super) fn pipeline(&self, route: Option<&'a Route>, slot: &mut usize) -> Pipeline<'a> {
        let slots = self.slots(route.map_or(&[][..], |r| &r.with), route);
        self.check_unique(&slots);
        let n = slots.len();
        let members: Vec<Member<'a>> = slots
            .iter()
            .enumerate()
            .map(|(i, s)| Member {
                item: s.item,
                priority: s.priority,
                local: s.local,
                hooks: self.hooks(i, s.item, &slots),
            })
            .collect();
        let handler_path = route.map_or(self.def.fallback.as_ref(), |r| Some(&r.handler));
        let handler = handler_path.and_then(|path| {
            let h = self.expect_kind(path, Kind::Handler)?;
            let call = self.call(At::Pre(n), h, &slots, &mut Vec::new());
            if let Some(r) = route {
                self.check_path_arity(r, &call);
            }
            Some(call)
        });
        let built = self.built(&members, handler.as_ref(), &slots);
        let base = self.def.stats.then(|| {
            let base = *slot;
            *slot += n + 2;
            base
        });
        Pipeline {
            members,
            handler,
            unmatched: route.is_none(),
            built,
            slot: base,
        }
    }

    /// The global middleware plus the route's own, sorted by priority; equal
    /// priorities keep listing order (the sort is stable).
    fn slots(&self, extra: &'a [Listed], route: Option<&Route>) -> Vec<Slot<'a>> {
        let mut out: Vec<Slot<'a>> = Vec::new();
        let global = self.def.middleware.iter().map(|l| (l, false));
        for (l, local) in global.chain(extra.iter().map(|l| (l, true))) {
            if let Some(first) = out.iter().find(|s| same_path(s.item.path, &l.path)) {
                let route =
                    route.map_or(String::new(), |r| format!(" `{} {}`", r.method, r.pattern));
                let msg = if first.local {
                    format!(
                        "middleware `{}` is listed twice for route{route}; remove one listing",
                        first.item.desc.name
                    )
                } else {
                    format!(
                        "middleware `{}` is already global, so listing it on route{route} would run it twice; remove this listing (or the global one and list it on every route that needs it)",
                        first.item.desc.name
                    )
                };
                self.cx.error(span_of(&l.path), msg);
                continue;
            }
            if let Some(item) = self.expect_kind(&l.path, Kind::Middleware) {
                out.push(Slot {
                    item,
                    priority: l.priority.unwrap_or(item.desc.priority),
                    local,
                });
            }
        }
        out.sort_by_key(|m| m.priority);
        out
    }

    /// Each type has one provider across singletons, request-scoped and
    /// transient providers and the route's middleware.
    fn check_unique(&self, slots: &[Slot<'a>]) {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut add = |k: String, who: String, span: proc_macro2::Span| {
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == k) {
                self.cx.error(
                    span,
                    format!("`{k}` has two providers in this chain: {other} and {who}; keep one"),
                );
            } else {
                seen.push((k, who));
            }
        };
        // First, so a clash is reported at the user's own provider.
        if self.def.stats {
            add(
                "Stats".to_owned(),
                "`options { stats }`".to_owned(),
                proc_macro2::Span::call_site(),
            );
        }
        for s in &self.def.singletons {
            let ty = &s.ty;
            add(
                key(&quote::quote!(#ty)),
                format!("singleton `{}`", s.field),
                s.field.span(),
            );
        }
        let provided = self.request.iter().chain(&self.transient).copied();
        for it in provided.chain(slots.iter().map(|m| m.item)) {
            if let Some(k) = it.desc.provides() {
                add(k, it.desc.who(), span_of(it.path));
            }
        }
    }

    fn hooks(&self, i: usize, item: Item<'a>, slots: &[Slot<'a>]) -> Hooks<'a> {
        let call = |at, desc| {
            self.call(
                at,
                Item {
                    path: item.path,
                    desc,
                },
                slots,
                &mut Vec::new(),
            )
        };
        let d = item.desc;
        match d.phase {
            Phase::Wrap => Hooks::Wrap(call(At::Pre(i), d)),
            Phase::Post => Hooks::Post(call(At::Post(i), d)),
            Phase::Both => match &d.post {
                Some(post) => Hooks::Both(call(At::Pre(i), d), call(At::Post(i), post)),
                None => Hooks::Pre(call(At::Pre(i), d)),
            },
            Phase::Pre | Phase::None => Hooks::Pre(call(At::Pre(i), d)),
        }
    }

    /// Where each request-scoped value is built: before its earliest
    /// consumer, and before a post hook's member so the post hook sees it
    /// even after a short-circuit; a value only the handler needs waits
    /// until the handler's extractors ran, so a rejected request never
    /// builds it. Dependencies are built no later than their dependents.
    fn built(
        &self,
        members: &[Member<'a>],
        handler: Option<&Call<'a>>,
        slots: &[Slot<'a>],
    ) -> Vec<Vec<Built<'a>>> {
        let n = members.len();
        let mut anchor: Vec<Option<usize>> = vec![None; self.request.len()];
        for (i, m) in members.iter().enumerate() {
            for call in [m.hooks.pre(), m.hooks.post(), wrap_of(&m.hooks)]
                .into_iter()
                .flatten()
            {
                need(call, i, &mut anchor);
            }
        }
        if let Some(h) = handler {
            need(h, n, &mut anchor);
        }
        // Dependents before their dependencies, so each dependency sees the
        // earliest position any dependent is built at.
        let mut calls: Vec<Option<Call<'a>>> = (0..self.request.len()).map(|_| None).collect();
        for &r in self.request_order.iter().rev() {
            if let Some(at) = anchor[r] {
                let call = self.call(At::Pre(at), self.request[r], slots, &mut Vec::new());
                need(&call, at, &mut anchor);
                calls[r] = Some(call);
            }
        }
        let mut built: Vec<Vec<Built<'a>>> = (0..=n).map(|_| Vec::new()).collect();
        for &r in &self.request_order {
            if let (Some(at), Some(call)) = (anchor[r], calls[r].take()) {
                built[at].push(Built { index: r, call });
            }
        }
        built
    }

    /// `Path<T>` on a route must match its pattern: a route without
    /// parameters has nothing to give, and a tuple or scalar says how many
    /// parameters it reads.
    fn check_path_arity(&self, route: &Route, handler: &Call<'a>) {
        let params = super::routes::params_of(&route.pattern).map_or(0, |p| p.len());
        for arg in &handler.args {
            let (Source::Extractor, Some(ty)) = (&arg.source, arg.ty) else {
                continue;
            };
            let Some(inner) = path_extractor(ty) else {
                continue;
            };
            let written = crate::symbol::pretty(ty);
            let (m, p) = (&route.method, &route.pattern);
            if params == 0 {
                self.cx.error(span_of(&route.handler), format!(
                    "handler `{}` takes `{written}`, but route `{m} {p}` has no parameters; add one to the pattern (`/{{id}}`) or remove the parameter",
                    handler.desc.name
                ));
            } else if let Some(arity) = super::routes::path_arity(&inner)
                && arity != params
            {
                self.cx.error(span_of(&route.handler), format!(
                    "handler `{}` takes `{written}`, which reads {arity} path parameter{}, but route `{m} {p}` has {params}; take {}",
                    handler.desc.name,
                    if arity == 1 { "" } else { "s" },
                    if params == 1 { "one value, like `Path<u32>`".to_owned() } else { format!("a tuple of {params}, like `Path<(u32, String)>`, or a struct") }
                ));
            }
        }
    }
}

fn wrap_of<'c, 'a>(hooks: &'c Hooks<'a>) -> Option<&'c Call<'a>> {
    match hooks {
        Hooks::Wrap(c) => Some(c),
        _ => None,
    }
}

/// Anchors every request-scoped value `call` needs (also through transient
/// providers) no later than `at`.
fn need(call: &Call, at: usize, anchor: &mut [Option<usize>]) {
    fn arg(a: &Arg, at: usize, anchor: &mut [Option<usize>]) {
        match &a.source {
            Source::RequestScoped(j) => anchor[*j] = Some(anchor[*j].map_or(at, |x| x.min(at))),
            Source::Transient(t) => need(t, at, anchor),
            _ => {}
        }
    }
    for a in call.recv.iter().chain(&call.args) {
        arg(a, at, anchor);
    }
}
