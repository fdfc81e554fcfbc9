//! `describe()`: the resolved chain as a `static`, built from what
//! [`expand`](super::expand) resolved.
//!
//! Emitted for every app, outside the app's struct and `handle`: it is data
//! that no request touches, so it costs nothing unless someone calls it. The
//! lookups in [`source`] follow the order of `Pipe::argument`, which is what
//! the pipeline really does; a valid chain reaches this point only after
//! `argument` accepted every parameter.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand::{App, Errors, Item, Member, output_key, path_str};
use crate::desc::{Desc, Mode, Output, Param, Phase, Recv, is_next, key};

/// `impl App { fn describe(&self) -> &'static Description }`.
pub(super) fn describe(app: &App) -> TokenStream {
    let def = app.def;
    let name = &def.name;
    let vis = &def.vis;
    let title = name.to_string();
    let stats = def.stats;
    let singletons = def.singletons.iter().map(|s| {
        let field = s.field.to_string();
        let ty = &s.ty;
        let ty = pretty(&quote!(#ty));
        let (built_by, needs) = match s.ctor.as_ref().and_then(|p| app_item(app, p)) {
            Some(it) => {
                let needs = it.desc.params.iter().map(|p| {
                    let from = startup_source(app, p);
                    need(p, &from)
                });
                let by = &it.desc.name;
                (
                    quote!(::core::option::Option::Some(#by)),
                    quote!(&[#(#needs),*]),
                )
            }
            None => (quote!(::core::option::Option::None), quote!(&[])),
        };
        quote!(::kiln::__private::describe::Singleton {
            field: #field,
            ty: #ty,
            built_by: #built_by,
            needs: #needs,
        })
    });
    let request = app.request.iter().map(|it| provider(app, *it));
    let transient = app.transient.iter().map(|it| provider(app, *it));
    // `expand` reported any error already; this pass only reads.
    let mut ignored = Errors::default();
    let routes: Vec<TokenStream> = def
        .routes
        .iter()
        .map(|r| {
            let members = app.members(&r.with, &mut ignored);
            let handler = app_item(app, &r.handler);
            let method = r.method.to_string();
            let pattern = &r.pattern;
            route(
                app,
                &members,
                handler,
                &quote!(#method),
                &quote!(::core::option::Option::Some(#pattern)),
            )
        })
        .collect();
    let unmatched = route(
        app,
        &app.members(&[], &mut ignored),
        None,
        &quote!("*"),
        &quote!(::core::option::Option::None),
    );
    quote! {
        impl #name {
            /// The resolved chain of every route: middleware in order with
            /// their priority, phase, what each needs (and where it comes
            /// from) and provides; singletons and request-scoped and transient
            /// services. Static data; `Display` prints it as tables.
            #[allow(dead_code)]
            #vis fn describe(&self) -> &'static ::kiln::__private::describe::Description {
                Self::__kiln_description()
            }

            #[allow(dead_code)]
            fn __kiln_description() -> &'static ::kiln::__private::describe::Description {
                static __KILN_DESCRIPTION: ::kiln::__private::describe::Description =
                    ::kiln::__private::describe::Description {
                        app: #title,
                        stats: #stats,
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

fn app_item<'a>(app: &App<'a>, p: &syn::Path) -> Option<Item<'a>> {
    app.items
        .iter()
        .find(|i| super::parse::same_path(i.path, p))
        .copied()
}

fn provider(app: &App, it: Item) -> TokenStream {
    let name = &it.desc.name;
    let provides = output_key(it.desc).unwrap_or_default();
    let is_async = it.desc.is_async;
    let fallible = matches!(it.desc.output, Output::Result(_));
    let needs = it.desc.params.iter().map(|p| {
        let from = source(app, &[], it.desc, p);
        need(p, &from)
    });
    quote!(::kiln::__private::describe::Provider {
        name: #name,
        provides: #provides,
        is_async: #is_async,
        fallible: #fallible,
        needs: &[#(#needs),*],
    })
}

fn route(
    app: &App,
    members: &[Member],
    handler: Option<Item>,
    method: &TokenStream,
    pattern: &TokenStream,
) -> TokenStream {
    let steps = members.iter().map(|m| step(app, members, m));
    let handler = match handler {
        Some(h) => {
            let name = &h.desc.name;
            let is_async = h.desc.is_async;
            let needs = h.desc.params.iter().map(|p| {
                let from = source(app, members, h.desc, p);
                need(p, &from)
            });
            quote!(::core::option::Option::Some(::kiln::__private::describe::Handler {
                name: #name,
                is_async: #is_async,
                needs: &[#(#needs),*],
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(::kiln::__private::describe::Route {
        method: #method,
        pattern: #pattern,
        handler: #handler,
        middleware: &[#(#steps),*],
    })
}

fn step(app: &App, members: &[Member], m: &Member) -> TokenStream {
    let d = m.item.desc;
    let name = &d.name;
    let path = path_str(m.item.path);
    let priority = m.priority;
    let declared = d.priority;
    let phase = match d.phase {
        Phase::Post => quote!(Post),
        Phase::Both => quote!(PrePost),
        Phase::Wrap => quote!(Wrap),
        Phase::Pre | Phase::None => quote!(Pre),
    };
    let scope = if m.local {
        quote!(Route)
    } else {
        quote!(Global)
    };
    let is_async = d.is_async || d.post.as_ref().is_some_and(|p| p.is_async);
    let fallible = d.phase != Phase::Post && matches!(d.output, Output::Result(_));
    let mut needs: Vec<TokenStream> = Vec::new();
    needs.extend(receiver(app, m.item, d.recv));
    needs.extend(d.params.iter().map(|p| {
        let from = source(app, members, d, p);
        need(p, &from)
    }));
    if let Some(post) = &d.post {
        needs.extend(receiver(app, m.item, post.recv));
        needs.extend(post.params.iter().map(|p| {
            let from = source(app, members, post, p);
            need(p, &from)
        }));
    }
    let provides = match output_key(d) {
        Some(k) => quote!(::core::option::Option::Some(#k)),
        None => quote!(::core::option::Option::None),
    };
    quote!(::kiln::__private::describe::Step {
        name: #name,
        path: #path,
        priority: #priority,
        declared_priority: #declared,
        phase: ::kiln::__private::describe::Phase::#phase,
        scope: ::kiln::__private::describe::Scope::#scope,
        is_async: #is_async,
        fallible: #fallible,
        needs: &[#(#needs),*],
        provides: #provides,
    })
}

/// `&self` of an `impl` middleware hook, as a need.
fn receiver(app: &App, it: Item, recv: Recv) -> Option<TokenStream> {
    let (mode, from) = match recv {
        Recv::None => return None,
        Recv::State(m) => (m, quote!(::kiln::__private::describe::Source::State)),
        Recv::Config(m) => {
            let path = it.path;
            let k = key(&quote!(#path));
            let field = app
                .def
                .singletons
                .iter()
                .find(|s| {
                    let t = &s.ty;
                    key(&quote!(#t)) == k
                })
                .map(|s| s.field.to_string())
                .unwrap_or_default();
            (
                m,
                quote!(::kiln::__private::describe::Source::Singleton(#field)),
            )
        }
    };
    let ty = if mode == Mode::Mut {
        "&mut self"
    } else {
        "&self"
    };
    Some(quote!(::kiln::__private::describe::Need { ty: #ty, from: #from }))
}

fn need(p: &Param, from: &TokenStream) -> TokenStream {
    let ty = pretty(&p.ty);
    let ty = match p.mode {
        Mode::Ref => format!("&{ty}"),
        Mode::Mut => format!("&mut {ty}"),
        Mode::Val => ty,
    };
    quote!(::kiln::__private::describe::Need { ty: #ty, from: #from })
}

/// Where a singleton constructor's parameter comes from: an earlier singleton.
fn startup_source(app: &App, p: &Param) -> TokenStream {
    let k = key(&p.ty);
    match app.def.singletons.iter().find(|s| {
        let t = &s.ty;
        key(&quote!(#t)) == k
    }) {
        Some(s) => {
            let f = s.field.to_string();
            quote!(::kiln::__private::describe::Source::Singleton(#f))
        }
        None => quote!(::kiln::__private::describe::Source::Extractor),
    }
}

/// Where a parameter's value comes from, in the order `Pipe::argument`
/// resolves it (a valid chain has one provider per type, so the first
/// producer among `members` is the one).
fn source(app: &App, members: &[Member], d: &Desc, p: &Param) -> TokenStream {
    let k = key(&p.ty);
    let src = |variant: TokenStream| quote!(::kiln::__private::describe::Source::#variant);
    if d.phase == Phase::Wrap && is_next(&p.ty) {
        return src(quote!(Next));
    }
    match k.as_str() {
        "Request" => return src(quote!(Request)),
        "Bump" => return src(quote!(Arena)),
        "Response" => return src(quote!(Response)),
        "Stats" if app.def.stats => return src(quote!(Stats)),
        _ => {}
    }
    if let Some(s) = app.def.singletons.iter().find(|s| {
        let t = &s.ty;
        key(&quote!(#t)) == k
    }) {
        let f = s.field.to_string();
        return src(quote!(Singleton(#f)));
    }
    if let Some(r) = app.request_index(&k) {
        let n = &app.request[r].desc.name;
        return src(quote!(RequestScoped(#n)));
    }
    if let Some(t) = app
        .transient
        .iter()
        .find(|t| output_key(t.desc).as_deref() == Some(k.as_str()))
    {
        let n = &t.desc.name;
        return src(quote!(Transient(#n)));
    }
    let producer = if members.is_empty() {
        // A provider, described once for the app: any middleware providing it.
        app.items
            .iter()
            .find(|i| i.desc.is_mw() && output_key(i.desc).as_deref() == Some(k.as_str()))
            .map(|i| i.desc.name.clone())
    } else {
        members
            .iter()
            .find(|m| output_key(m.item.desc).as_deref() == Some(k.as_str()))
            .map(|m| m.item.desc.name.clone())
    };
    match producer {
        Some(n) => src(quote!(Middleware(#n))),
        None => src(quote!(Extractor)),
    }
}

/// A type as a person writes it: `Path<u32>`, not `Path < u32 >`.
pub(super) fn pretty(ts: &TokenStream) -> String {
    let s = ts.to_string();
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let next = chars.get(i + 1).copied();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            // Keep the space between two words (`dyn Trait`), after `,` and
            // around `+`.
            if (word(prev) && word(next))
                || prev == Some(',')
                || prev == Some('+')
                || next == Some('+')
            {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn pretty_types() {
        assert_eq!(
            super::pretty(&quote!(Path<(u32, String)>)),
            "Path<(u32, String)>"
        );
        assert_eq!(
            super::pretty(&quote!(kiln::Json<Vec<u8>>)),
            "kiln::Json<Vec<u8>>"
        );
        assert_eq!(
            super::pretty(&quote!(Box<dyn Fn() + Send>)),
            "Box<dyn Fn() + Send>"
        );
    }
}
