//! Code generation for `chain!`, reading the [`Model`] only.
//!
//! The app is a struct of its singletons (plus the router and stats when
//! needed), `new` taking the given singletons by name, and `App::handle`:
//! routing inlined as a `match`, each route's pipeline inlined into its arm
//! as straight-line code over plain locals ([`pipeline`]).
//!
//! When resolution failed, [`placeholder`] emits the same struct, `new` and
//! `App` impl with bodies that never run, so the only errors a user sees
//! are the real ones, not a cascade from every use of the app.

mod dispatch;
mod pipeline;
mod scope;

pub(super) use crate::desc::respan;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::model::{Model, Source};
use super::parse::ChainDef;

#[cfg(test)]
/// What `chain!` generates, in two parts so the expansion snapshot can show
/// that the app itself does not change when introspection is added.
pub(crate) struct Generated {
    /// The app struct, its singletons struct, `new` and `App::handle`.
    pub app: TokenStream,
    /// `describe()`: static data, never touched by a request.
    pub describe: TokenStream,
}

/// The name of the struct `new` takes: `{App}Singletons`.
pub(crate) fn singletons_struct(def: &ChainDef) -> Ident {
    format_ident!("{}Singletons", def.name)
}

/// What `chain!` emits before it has seen any descriptor: the app's struct,
/// the struct of singletons `new` is given, the public methods and the `App`
/// impl, each delegating to what `__chain_impl!` fills in (`__kiln_new`,
/// `__kiln_handle`, `__kiln_description`). When a listed item has no
/// descriptor (rustc reports it), the app still exists, and the only other
/// errors are the missing pieces, at the `chain!`.
pub(crate) fn skeleton(def: &ChainDef, router: bool) -> TokenStream {
    let krate = krate_of(def);
    let (name, vis, attrs) = (&def.name, &def.vis, &def.attrs);
    let fields = def.singletons.iter().map(|s| &s.field);
    let types = def.singletons.iter().map(|s| &s.ty);
    let router_field = router.then(|| quote!(__kiln_router: #krate::__private::Router,));
    let stats_field = def
        .stats
        .then(|| quote!(__kiln_stats: #krate::__private::Stats,));
    let given = given_struct(def);
    let (param, arg) = match given_struct_name(def) {
        Some(ident) => (Some(quote!(singletons: #ident)), Some(quote!(singletons))),
        None => (None, None),
    };
    // Accessors named like a generated method are reported by `resolve`;
    // leaving them out keeps that the only error.
    let accessors = def
        .singletons
        .iter()
        .filter(|s| s.field != "describe" && s.field != "new" && !(s.field == "stats" && def.stats))
        .map(|s| {
            let (field, ty) = (&s.field, &s.ty);
            let doc = format!("The `{field}` singleton.");
            quote!(#[doc = #doc] #[allow(dead_code)] #vis fn #field(&self) -> &#ty { &self.#field })
        });
    let stats_fn = def.stats.then(|| {
        quote! {
            /// Executions, short-circuits and latencies of every route,
            /// middleware and handler since `new`, merged from all threads.
            #[allow(dead_code)]
            #vis fn stats(&self) -> #krate::__private::ChainStats {
                self.__kiln_stats.snapshot()
            }
        }
    });
    let fallback = fallback(def);
    quote! {
        #(#attrs)*
        #vis struct #name { #( #fields: #types, )* #router_field #stats_field }

        #given

        #fallback

        impl #name {
            /// Builds the app from its singletons.
            #[allow(clippy::new_without_default)]
            #vis fn new(#param) -> Self {
                Self::__kiln_new(#arg)
            }

            /// The resolved chain of every route: middleware in order with
            /// their priority, phase, what each needs (and where it comes
            /// from) and provides; singletons and request-scoped and transient
            /// services. Static data; `Display` prints it as tables.
            #[allow(dead_code)]
            #vis fn describe(&self) -> &'static #krate::__private::describe::Description {
                Self::__kiln_description()
            }

            #(#accessors)*
            #stats_fn
        }

        impl #krate::__private::App for #name {
            #[inline]
            fn handle<'__kiln_a>(
                &'__kiln_a self,
                req: #krate::__private::Request,
                conn: &'__kiln_a mut #krate::__private::Conn,
            ) -> impl ::core::future::Future<Output = #krate::__private::Response> + ::core::marker::Send + '__kiln_a {
                self.__kiln_handle(req, conn)
            }
        }
    }
}

fn krate_of(def: &ChainDef) -> TokenStream {
    def.krate
        .as_ref()
        .map_or_else(|| quote!(::kiln), |p| quote!(#p))
}

fn given_struct_name(def: &ChainDef) -> Option<Ident> {
    def.singletons
        .iter()
        .any(|s| s.ctor.is_none())
        .then(|| singletons_struct(def))
}

/// What `__chain_impl!` fills the skeleton with: `__kiln_new` and `__kiln_handle`.
pub(crate) fn app(model: &Model) -> TokenStream {
    let def = model.def;
    let name = &def.name;
    let router = super::resolve::routes::needs_router(&model.table);
    let new_fn = new_fn(model, router);
    let handle = handle(model);
    let singletons = singletons_by_type(model);
    quote! {
        impl #name {
            #new_fn
            #handle
        }
        #singletons
    }
}

/// `HasSingleton<T>` for every singleton, when a `Valid<..>` parameter reads
/// its validation context by type.
fn singletons_by_type(model: &Model) -> TokenStream {
    fn reads(call: &super::model::Call) -> bool {
        call.args.iter().any(|a| match &a.source {
            Source::Extractor => a.ty.is_some_and(crate::symbol::is_valid_extractor),
            Source::Transient(t) => reads(t),
            _ => false,
        })
    }
    let mut pipelines = model.pipelines().map(|(p, _)| p);
    if !pipelines.any(|p| p.calls().any(reads)) {
        return TokenStream::new();
    }
    let (krate, name) = (&model.krate, &model.def.name);
    let impls = model.singletons.iter().filter_map(|s| {
        let (field, ty) = (s.field, s.ty);
        // Every app has `()`, the context of rules that need none.
        if matches!(ty, syn::Type::Tuple(t) if t.elems.is_empty()) {
            return None;
        }
        Some(quote! {
            impl #krate::__private::HasSingleton<#ty> for #name {
                #[inline]
                fn singleton(&self) -> &#ty { &self.#field }
            }
        })
    });
    quote!(#(#impls)*)
}

/// `{App}Singletons`: the singletons `new` is given, by name.
fn given_struct(def: &ChainDef) -> Option<TokenStream> {
    let given: Vec<_> = def.singletons.iter().filter(|s| s.ctor.is_none()).collect();
    if given.is_empty() {
        return None;
    }
    let (name, vis) = (&def.name, &def.vis);
    let ident = singletons_struct(def);
    let doc = format!("The singletons [`{name}::new`] is given, by name.");
    let fields = given.iter().map(|s| {
        let (f, ty) = (&s.field, &s.ty);
        quote!(#[allow(missing_docs)] pub #f: #ty,)
    });
    Some(quote! {
        #[doc = #doc]
        #vis struct #ident { #(#fields)* }
    })
}

/// `__kiln_new` takes the given singletons apart and builds the others from them.
fn new_fn(model: &Model, router: bool) -> TokenStream {
    let def = model.def;
    let krate = &model.krate;
    let (param, unpack) = match given_struct_name(def) {
        Some(ident) => {
            let given = def
                .singletons
                .iter()
                .filter(|s| s.ctor.is_none())
                .map(|s| &s.field);
            (
                Some(quote!(singletons: #ident)),
                Some(quote!(let #ident { #(#given),* } = singletons;)),
            )
        }
        None => (None, None),
    };
    let lets = model.singletons.iter().filter_map(|s| {
        let call = s.ctor.as_ref()?;
        let args = call.args.iter().map(|a| match a.source {
            Source::Singleton(j) => {
                let f = model.singletons[j].field;
                quote!(&#f)
            }
            _ => quote!(::core::unreachable!()),
        });
        let (field, ty, path) = (s.field, s.ty, call.path);
        Some(quote!(let #field: #ty = #path(#(#args),*);))
    });
    let fields = def.singletons.iter().map(|s| &s.field);
    let router = router.then(|| {
        let init = dispatch::router_init(model);
        quote!(__kiln_router: #init,)
    });
    let (stats_let, stats) = def.stats.then(|| stats_init(def, krate)).unzip();
    quote! {
        #[inline]
        fn __kiln_new(#param) -> Self {
            #unpack
            #(#lets)*
            #stats_let
            Self { #( #fields, )* #router #stats }
        }
    }
}

/// With `options { stats }`: the app's `Stats`, keeping a handle to every
/// singleton whose type reports `Counters` (autoref dispatch picks the no-op
/// for the others, so the check costs nothing at run time).
fn stats_init(def: &ChainDef, krate: &TokenStream) -> (TokenStream, TokenStream) {
    let report = def.singletons.iter().map(|s| {
        let field = &s.field;
        let name = field.to_string();
        quote!((&&#krate::__private::stats::Probe(&#field)).__kiln_report(#name, &mut __kiln_stats);)
    });
    let init = quote! {
        let __kiln_stats = {
            #[allow(unused_imports)]
            use #krate::__private::stats::{Ignore as _, Report as _};
            let mut __kiln_stats = #krate::__private::Stats::new(Self::__kiln_description());
            #(#report)*
            __kiln_stats
        };
    };
    (init, quote!(__kiln_stats,))
}

/// `__kiln_handle`: routing, then the matched route's pipeline.
fn handle(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let recorder = model
        .def
        .stats
        .then(|| quote!(let __kiln_rec = self.__kiln_stats.recorder();));
    let dispatch = dispatch::dispatch(model);
    quote! {
        #[allow(unused_labels, unused_variables, unreachable_code, clippy::let_unit_value)]
        fn __kiln_handle<'__kiln_a>(
            &'__kiln_a self,
            mut __kiln_owned: #krate::__private::Request,
            __kiln_conn: &'__kiln_a mut #krate::__private::Conn,
        ) -> impl ::core::future::Future<Output = #krate::__private::Response> + ::core::marker::Send + '__kiln_a {
            async move {
                let __kiln_req = &mut __kiln_owned;
                let (__kiln_info, __kiln_arena) = __kiln_conn.split();
                #recorder
                #dispatch
            }
        }
    }
}

/// Defaults for the pieces `__chain_impl!` fills in, as a trait the app
/// implements: an inherent `__kiln_new` (generated when the chain resolves)
/// takes precedence over the trait's, so these bodies, which never run, are
/// only reached when the chain failed, and then they keep the app and its
/// uses type-checking without an error of their own.
fn fallback(def: &ChainDef) -> TokenStream {
    let krate = krate_of(def);
    let name = &def.name;
    let tr = format_ident!("__KilnUnresolved{}", name);
    let param = given_struct_name(def).map(|ident| quote!(_: #ident));
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_camel_case_types)]
        trait #tr {
            fn __kiln_new(#param) -> #name {
                ::core::unreachable!("`chain!` reported an error")
            }
            fn __kiln_description() -> &'static #krate::__private::describe::Description {
                ::core::unreachable!("`chain!` reported an error")
            }
            fn __kiln_handle<'__kiln_a>(
                &'__kiln_a self,
                _: #krate::__private::Request,
                _: &'__kiln_a mut #krate::__private::Conn,
            ) -> impl ::core::future::Future<Output = #krate::__private::Response> + ::core::marker::Send + '__kiln_a {
                async move { ::core::unreachable!("`chain!` reported an error") }
            }
        }
        impl #tr for #name {}
    }
}

/// For input whose syntax is broken only the name is known: the struct
/// alone, so at least the type exists.
pub(crate) fn placeholder_by_name(vis: &syn::Visibility, name: &Ident) -> TokenStream {
    quote! {
        #vis struct #name {}
    }
}
