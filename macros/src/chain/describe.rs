//! `describe()`: the [`Model`] written out as a `static`.
//!
//! It reads the model and derives nothing: every `Need`'s source is the
//! [`Source`] the resolver decided. Emitted for every app, outside its
//! struct and `handle`: data that no request touches.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Arg, Call, Hooks, Member, Model, Pipeline, Source};
use super::resolve::path_str;
use crate::desc::Mode;
use crate::symbol::pretty;

/// `impl App { fn describe(&self) -> &'static Description }`.
pub(crate) fn describe(model: &Model) -> TokenStream {
    let d = Describer {
        model,
        krate: &model.krate,
    };
    let def = model.def;
    let name = &def.name;
    let krate = &model.krate;
    let title = name.to_string();
    let stats = def.stats;
    let slots = model.stats_slots.unwrap_or(0);
    let singletons = model.singletons.iter().map(|s| {
        let field = s.field.to_string();
        let ty = s.ty;
        let ty = pretty(&quote!(#ty));
        let (built_by, needs) = match &s.ctor {
            Some(c) => {
                let by = &c.desc.name;
                let needs = d.needs(c, None);
                (quote!(::core::option::Option::Some(#by)), needs)
            }
            None => (quote!(::core::option::Option::None), quote!(&[])),
        };
        quote!(#krate::__private::describe::Singleton { field: #field, ty: #ty, built_by: #built_by, needs: #needs })
    });
    let request = model.request.iter().enumerate().map(|(r, it)| {
        let first = model.pipelines().find_map(|(p, _)| {
            p.built
                .iter()
                .flatten()
                .find(|b| b.index == r)
                .map(|b| (&b.call, p))
        });
        d.provider(it.desc, first)
    });
    let transient = model.transient.iter().map(|it| {
        let first = model.pipelines().find_map(|(p, _)| {
            p.calls()
                .find_map(|c| transient_in(c, it.path))
                .map(|c| (c, p))
        });
        d.provider(it.desc, first)
    });
    let routes = model.routes.iter().zip(&def.routes).map(|(p, r)| {
        let method = r.method.to_string();
        let pattern = &r.pattern;
        d.route(
            p,
            &quote!(#method),
            &quote!(::core::option::Option::Some(#pattern)),
            &limits_text(&r.limits),
        )
    });
    let unmatched = d.route(
        &model.unmatched,
        &quote!("*"),
        &quote!(::core::option::Option::None),
        "",
    );
    quote! {
        impl #name {
            fn __kiln_description() -> &'static #krate::__private::describe::Description {
                static __KILN_DESCRIPTION: #krate::__private::describe::Description =
                    #krate::__private::describe::Description {
                        app: #title,
                        stats: #stats,
                        stats_slots: #slots,
                        singletons: &[#(#singletons),*],
                        request: &[#(#request),*],
                        transient: &[#(#transient),*],
                        routes: &[#(#routes),*],
                        unmatched: #unmatched,
                    };
                &__KILN_DESCRIPTION
            }
        }
    }
}

/// A transient provider's call somewhere inside `call`'s arguments.
fn transient_in<'c, 'a>(call: &'c Call<'a>, path: &syn::Path) -> Option<&'c Call<'a>> {
    call.args.iter().find_map(|a| match &a.source {
        Source::Transient(t) if super::parse::same_path(t.path, path) => Some(&**t),
        Source::Transient(t) => transient_in(t, path),
        _ => None,
    })
}

struct Describer<'m, 'a> {
    model: &'m Model<'a>,
    krate: &'m TokenStream,
}

impl Describer<'_, '_> {
    /// A provider, with the sources of its first use (`used: false`, no
    /// needs, when no route uses it).
    fn provider(&self, desc: &crate::desc::Desc, first: Option<(&Call, &Pipeline)>) -> TokenStream {
        let krate = self.krate;
        let name = &desc.name;
        let provides = desc.provides().unwrap_or_default();
        let is_async = desc.is_async;
        let fallible = desc.is_fallible();
        let finish = desc.finish;
        let used = first.is_some();
        let needs = first.map_or_else(|| quote!(&[]), |(c, p)| self.needs(c, Some(p)));
        quote!(#krate::__private::describe::Provider {
            name: #name, provides: #provides, is_async: #is_async, fallible: #fallible, finish: #finish, used: #used, needs: #needs,
        })
    }

    fn route(
        &self,
        p: &Pipeline,
        method: &TokenStream,
        pattern: &TokenStream,
        limits: &str,
    ) -> TokenStream {
        let krate = self.krate;
        let steps = p.members.iter().map(|m| self.step(p, m));
        let handler = match &p.handler {
            Some(h) => {
                let name = &h.desc.name;
                let is_async = h.desc.is_async;
                let needs = self.needs(h, Some(p));
                quote!(::core::option::Option::Some(#krate::__private::describe::Handler {
                    name: #name, is_async: #is_async, needs: #needs,
                }))
            }
            None => quote!(::core::option::Option::None),
        };
        let slot = p.slot.unwrap_or(0);
        let scoped = p.built.iter().enumerate().flat_map(|(before, at)| {
            at.iter().map(move |b| {
                let (provider, finish) = (&b.call.desc.name, b.call.desc.finish);
                quote!(#krate::__private::describe::Scoped { provider: #provider, before: #before, finish: #finish })
            })
        });
        quote!(#krate::__private::describe::Route {
            method: #method,
            pattern: #pattern,
            handler: #handler,
            middleware: &[#(#steps),*],
            request_scoped: &[#(#scoped),*],
            limits: #limits,
            stats_slot: #slot,
        })
    }

    fn step(&self, pipeline: &Pipeline, m: &Member) -> TokenStream {
        let krate = self.krate;
        let d = m.item.desc;
        let name = &d.name;
        let path = path_str(m.item.path);
        let (priority, declared) = (m.priority, d.priority);
        let phase = match &m.hooks {
            Hooks::Pre(_) => quote!(Pre),
            Hooks::Post(_) => quote!(Post),
            Hooks::Both(..) => quote!(PrePost),
            Hooks::Wrap(_) => quote!(Wrap),
        };
        let calls = m.hooks.calls();
        let scope = if m.local {
            quote!(Route)
        } else {
            quote!(Global)
        };
        let is_async = calls.iter().any(|c| c.desc.is_async);
        let fallible = m.hooks.pre().is_some_and(|c| c.desc.is_fallible());
        let needs = calls
            .iter()
            .flat_map(|c| c.recv.iter().chain(&c.args))
            .map(|a| self.need(a, Some(pipeline)));
        let provides = match d.provides() {
            Some(k) => quote!(::core::option::Option::Some(#k)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#krate::__private::describe::Step {
            name: #name,
            path: #path,
            priority: #priority,
            declared_priority: #declared,
            phase: #krate::__private::describe::Phase::#phase,
            scope: #krate::__private::describe::Scope::#scope,
            is_async: #is_async,
            fallible: #fallible,
            needs: &[#(#needs),*],
            provides: #provides,
        })
    }

    fn needs(&self, c: &Call, p: Option<&Pipeline>) -> TokenStream {
        let needs = c.recv.iter().chain(&c.args).map(|a| self.need(a, p));
        quote!(&[#(#needs),*])
    }

    fn need(&self, a: &Arg, p: Option<&Pipeline>) -> TokenStream {
        let krate = self.krate;
        let ty = match a.ty {
            None if a.mode == Mode::Mut => "&mut self".to_owned(),
            None => "&self".to_owned(),
            Some(t) => {
                let t = pretty(t);
                match a.mode {
                    Mode::Ref => format!("&{t}"),
                    Mode::Mut => format!("&mut {t}"),
                    Mode::Val => t,
                }
            }
        };
        let from = self.source(&a.source, p);
        quote!(#krate::__private::describe::Need { ty: #ty, from: #krate::__private::describe::Source::#from })
    }

    fn source(&self, source: &Source, pipeline: Option<&Pipeline>) -> TokenStream {
        let model = self.model;
        match source {
            Source::Request => quote!(Request),
            Source::Response => quote!(Response),
            Source::Arena => quote!(Arena),
            Source::Next => quote!(Next),
            Source::Stats => quote!(Stats),
            Source::State(_) => quote!(State),
            Source::Extractor | Source::Unresolved => quote!(Extractor),
            Source::Singleton(j) => {
                let f = model.singletons[*j].field.to_string();
                quote!(Singleton(#f))
            }
            Source::RequestScoped(r) => {
                let n = &model.request[*r].desc.name;
                quote!(RequestScoped(#n))
            }
            Source::Transient(t) => {
                let n = &t.desc.name;
                quote!(Transient(#n))
            }
            Source::Output(j) => {
                let n = pipeline.map_or(String::new(), |p| p.members[*j].item.desc.name.clone());
                quote!(Middleware(#n))
            }
        }
    }
}

/// A route's `#[limit(..)]` as written (after its scope's), `""` without one.
fn limits_text(limits: &crate::chain::parse::Limits) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &limits.body {
        parts.push(format!("body = {}", pretty(&quote!(#e))));
    }
    match &limits.rate {
        Some(crate::chain::parse::Rate::Exempt) => parts.push("rate = exempt".to_owned()),
        Some(crate::chain::parse::Rate::Quota(q)) => {
            parts.push(format!("rate = {}", pretty(&quote!(#q))));
        }
        None => {}
    }
    parts.join(", ")
}
