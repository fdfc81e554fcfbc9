//! The one place that decides where a parameter's value comes from.
//!
//! In order: kiln's own types ([`Special`]), the app's statistics,
//! singletons, request-scoped and transient providers, the outputs of the
//! pipeline's middleware, and for anything else taken by value, an
//! extractor. Each rule about what a consumer may take (by reference or by
//! value, before or after the response exists, in a sync or async
//! function) is here, next to the lookup it restricts.

use super::pipeline::Slot;
use super::{At, Resolver, span_of};
use crate::chain::model::{Arg, Item, Source};
use crate::desc::{Desc, Mode, Param, Phase, Recv};
use crate::symbol::{Special, key, special};

impl<'a> Resolver<'a> {
    fn fail(&self, it: Item, msg: String) -> Source<'a> {
        self.cx.error(span_of(it.path), msg);
        Source::Unresolved
    }

    /// Values provided in a chain are lent, never moved.
    fn by_ref(&self, it: Item, p: &Param, src: Source<'a>) -> Source<'a> {
        if p.mode == Mode::Val {
            let ty = ty_str(p);
            return self.fail(it, format!("{} takes `{ty}` by value; take `&{ty}`: values provided in a chain are injected by reference", it.desc.who()));
        }
        src
    }

    /// `&self` of an `impl` middleware hook: its configuration singleton, or
    /// the state its `pre` returned.
    pub(super) fn receiver(&self, at: At, it: Item<'a>, d: &Desc) -> Option<Arg<'a>> {
        let (mode, source) = match (d.recv, at) {
            (Recv::None, _) => return None,
            (Recv::State(mode), At::Post(i)) => (mode, Source::State(i)),
            (Recv::State(mode) | Recv::Config(mode), _) => {
                let path = it.path;
                let k = key(&quote::quote!(#path));
                let source = match self.singleton_index(&k) {
                    Some(s) => Source::Singleton(s),
                    None => self.fail(it, format!(
                        "{} is configured by its `&self`: add a singleton of type `{k}`, like `singletons {{ {}: {k} }}`",
                        it.desc.who(),
                        crate::symbol::snake(&k)
                    )),
                };
                (mode, source)
            }
        };
        Some(Arg {
            mode,
            ty: None,
            source,
        })
    }

    /// Resolves one parameter of `it`, which sits at `at` in a pipeline of
    /// `members` (empty at startup).
    pub(super) fn source(
        &self,
        at: At,
        it: Item<'a>,
        p: &'a Param,
        members: &[Slot<'a>],
        transients: &mut Vec<usize>,
    ) -> Arg<'a> {
        let source = self.find(at, it, p, members, transients);
        Arg {
            mode: p.mode,
            ty: Some(&p.ty),
            source,
        }
    }

    #[allow(clippy::too_many_lines)] // one lookup over every kind of source, easier to read whole
    fn find(
        &self,
        at: At,
        it: Item<'a>,
        p: &'a Param,
        members: &[Slot<'a>],
        transients: &mut Vec<usize>,
    ) -> Source<'a> {
        let k = key(&p.ty);
        let ty = ty_str(p);
        let who = it.desc.who();
        if let At::Startup(startup) = at {
            return match self.singleton_index(&k) {
                Some(j) if j < startup && p.mode == Mode::Ref => Source::Singleton(j),
                Some(j) if j < startup => self.fail(it, format!("{who} must take singleton `{ty}` as `&{ty}`")),
                Some(_) => self.fail(it, format!("{who} needs singleton `{ty}`, which is declared after it; list `{ty}` earlier in `singletons`")),
                None if self.request_index(&k).is_some() || self.middleware_provide(&k) => self.fail(it, format!(
                    "singleton built by {who} cannot depend on `{ty}`, which exists only during a request; take it in a middleware or handler instead"
                )),
                None => self.fail(it, format!("{who} needs `&{ty}`, but no singleton before it provides `{ty}`")),
            };
        }
        let wrap = it.desc.phase == Phase::Wrap;
        match special(&p.ty) {
            Some(Special::Next) if wrap => return Source::Next,
            Some(Special::Next) => return self.fail(it, format!("{who} takes `Next`, the rest of the chain, which only a `wrap` middleware is given; declare it `#[middleware(priority = N, wrap)]`")),
            Some(Special::Request) if wrap => return self.fail(it, format!(
                "`wrap` {who} cannot take `Request`: the request is lent to the rest of the chain it wraps; read what you need in a `pre_route` middleware outside it"
            )),
            Some(Special::Request) => return self.by_ref(it, p, Source::Request),
            Some(Special::Arena) => {
                if it.desc.is_async {
                    return self.fail(it, format!(
                        "{who} is async and cannot take `&Bump`: the arena is not `Sync`, so holding it across an `.await` would make the request future `!Send`; make it a plain `fn`, or take the arena in a sync helper"
                    ));
                }
                return match p.mode {
                    Mode::Ref => Source::Arena,
                    _ => self.fail(it, format!("{who} must take the arena as `&Bump`")),
                };
            }
            Some(Special::Response) => {
                return match at {
                    At::Post(_) => self.by_ref(it, p, Source::Response),
                    _ => self.fail(it, format!("{who} runs before the response exists and cannot take `Response`")),
                };
            }
            Some(Special::Stats) if self.def.stats => {
                return match p.mode {
                    Mode::Ref => Source::Stats,
                    _ => self.fail(it, format!("{who} must take the app's stats as `&Stats`")),
                };
            }
            Some(Special::Stats) | None => {}
        }
        if let Some(s) = self.singleton_index(&k) {
            return match p.mode {
                Mode::Ref => Source::Singleton(s),
                _ => self.fail(it, format!("{who} must take singleton `{ty}` as `&{ty}`: singletons are shared, never moved or mutated")),
            };
        }
        if let Some(r) = self.request_index(&k) {
            return self.by_ref(it, p, Source::RequestScoped(r));
        }
        if let Some(t) = self.transient_index(&k) {
            let provider = self.transient[t];
            if matches!(at, At::Post(_)) && provider.desc.is_fallible() {
                return self.fail(it, format!("post hook of {who} cannot use fallible transient `{ty}`: a post hook cannot short-circuit"));
            }
            if transients.contains(&t) {
                return self.fail(
                    it,
                    format!(
                        "transient provider `{}` needs itself through {who}; break the cycle",
                        provider.desc.name
                    ),
                );
            }
            transients.push(t);
            let call = self.call(at, provider, members, transients);
            transients.pop();
            return Source::Transient(Box::new(call));
        }
        if let Some(j) = members
            .iter()
            .position(|m| m.item.desc.provides().as_deref() == Some(k.as_str()))
        {
            let producer = &members[j];
            let (At::Pre(i) | At::Post(i)) = at else {
                unreachable!("startup handled above")
            };
            // A pre hook sees outputs of hooks before it; a post hook sees only
            // those outside it, which are sure to have run, and its own `pre`'s.
            let visible = j < i || (j == i && matches!(at, At::Post(_)));
            if !visible {
                let (name, prio) = (&producer.item.desc.name, producer.priority);
                let msg = if let At::Post(_) = at {
                    format!(
                        "post hook of {who} needs `{ty}`, produced by middleware `{name}` (priority {prio}) which is inside it and may not have run; give {who} a priority above {prio}"
                    )
                } else {
                    format!(
                        "{who} needs `{ty}`, produced by middleware `{name}` (priority {prio}) which runs after it; give {who} a priority above {prio}"
                    )
                };
                return self.fail(it, msg);
            }
            return self.by_ref(it, p, Source::Output(j));
        }
        match (p.mode, at) {
            (Mode::Val, At::Pre(_)) => Source::Extractor,
            _ if special(&p.ty) == Some(Special::Stats) => self.fail(it, format!(
                "{who} needs `&Stats`, but this `chain!` has no statistics; add `options {{ stats }}` to it (or, for a `Stats` type of your own, a singleton or `#[provider]` of it)"
            )),
            _ => self.fail(it, format!(
                "{who} needs `&{ty}`, but nothing in this `chain!` provides `{ty}`; add a singleton of type `{ty}` to `singletons`, list a `#[provider]` returning `{ty}` under `request {{ .. }}` (built once per request) or `transient {{ .. }}` (built per use), or add a middleware that returns `{ty}`"
            )),
        }
    }

    /// Whether some listed middleware returns this key.
    fn middleware_provide(&self, k: &str) -> bool {
        self.listed.iter().any(|(_, e)| match e {
            crate::desc::Entry::Item(d) => d.is_mw() && d.provides().as_deref() == Some(k),
            crate::desc::Entry::Failed { .. } => false,
        })
    }
}

fn ty_str(p: &Param) -> String {
    crate::symbol::pretty(&p.ty)
}
