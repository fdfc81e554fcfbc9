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

pub(crate) fn app(model: &Model) -> TokenStream {
    let def = model.def;
    let krate = &model.krate;
    let (name, vis, attrs) = (&def.name, &def.vis, &def.attrs);
    let fields = def.singletons.iter().map(|s| &s.field);
    let types = def.singletons.iter().map(|s| &s.ty);
    let router = super::resolve::routes::needs_router(&model.table);
    let router_field = router.then(|| quote!(__kiln_router: #krate::__private::Router,));
    let stats_field = def.stats.then(|| quote!(__kiln_stats: #krate::__private::Stats,));
    let given = given_struct(def);
    let new_fn = new_fn(model, router);
    let handle = handle(model);
    quote! {
        #(#attrs)*
        #vis struct #name { #( #fields: #types, )* #router_field #stats_field }

        #given

        impl #name {
            #new_fn
        }

        #handle
    }
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

/// The parameter of `new` and the `let`s that take it apart.
fn new_param(def: &ChainDef) -> (Option<TokenStream>, Option<TokenStream>) {
    let given: Vec<_> = def.singletons.iter().filter(|s| s.ctor.is_none()).map(|s| &s.field).collect();
    if given.is_empty() {
        return (None, None);
    }
    let ident = singletons_struct(def);
    (
        Some(quote!(singletons: #ident)),
        Some(quote!(let #ident { #(#given),* } = singletons;)),
    )
}

/// `new` takes the given singletons and builds the others from them.
fn new_fn(model: &Model, router: bool) -> TokenStream {
    let def = model.def;
    let krate = &model.krate;
    let vis = &def.vis;
    let (param, unpack) = new_param(def);
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
    let stats = def
        .stats
        .then(|| quote!(__kiln_stats: #krate::__private::Stats::new(Self::__kiln_description()),));
    let accessors = def.singletons.iter().map(|s| {
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
    quote! {
        #(#accessors)*
        /// Builds the app from its singletons.
        #[allow(clippy::new_without_default)]
        #vis fn new(#param) -> Self {
            #unpack
            #(#lets)*
            Self { #( #fields, )* #router #stats }
        }
        #stats_fn
    }
}

fn handle(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let name = &model.def.name;
    let recorder = model
        .def
        .stats
        .then(|| quote!(let __kiln_rec = self.__kiln_stats.recorder();));
    let dispatch = dispatch::dispatch(model);
    quote! {
        impl #krate::__private::App for #name {
            #[allow(unused_labels, unused_variables, unreachable_code, clippy::let_unit_value)]
            fn handle<'__kiln_a>(
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
}

/// The app's struct, `new` and `App` impl with bodies that never run, for a
/// chain that failed: uses of the app keep type-checking.
pub(crate) fn placeholder(def: &ChainDef) -> TokenStream {
    let krate = def
        .krate
        .as_ref()
        .map_or_else(|| quote!(::kiln), |p| quote!(#p));
    let (name, vis, attrs) = (&def.name, &def.vis, &def.attrs);
    let given = given_struct(def);
    let (param, _) = new_param(def);
    // Accessors named like a generated method were reported; leaving them
    // out keeps that the only error.
    let accessors = def
        .singletons
        .iter()
        .filter(|s| s.field != "describe" && !(s.field == "stats" && def.stats) && s.field != "new")
        .map(|s| {
            let (field, ty) = (&s.field, &s.ty);
            quote!(#[allow(dead_code)] #vis fn #field(&self) -> &#ty { ::core::unreachable!() })
        });
    let stats_fn = def.stats.then(|| {
        quote!(#[allow(dead_code)] #vis fn stats(&self) -> #krate::__private::ChainStats { ::core::unreachable!() })
    });
    quote! {
        #(#attrs)*
        #vis struct #name { __kiln_failed: () }
        #given
        #[allow(unused_variables, dead_code, clippy::new_without_default)]
        impl #name {
            #vis fn new(#param) -> Self { ::core::unreachable!("`chain!` reported an error") }
            #vis fn describe(&self) -> &'static #krate::__private::describe::Description { ::core::unreachable!() }
            #(#accessors)*
            #stats_fn
        }
        impl #krate::__private::App for #name {
            #[allow(unreachable_code)]
            fn handle<'__kiln_a>(
                &'__kiln_a self,
                _: #krate::__private::Request,
                _: &'__kiln_a mut #krate::__private::Conn,
            ) -> impl ::core::future::Future<Output = #krate::__private::Response> + ::core::marker::Send + '__kiln_a {
                async move { ::core::unreachable!() }
            }
        }
    }
}

/// The stub for input whose syntax is broken: only the name is known.
pub(crate) fn placeholder_by_name(vis: &syn::Visibility, name: &Ident) -> TokenStream {
    quote! {
        #vis struct #name { __kiln_failed: () }
    }
}
