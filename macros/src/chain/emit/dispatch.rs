//! Routing as generated code: literal paths are arms of a `match` on the
//! path and never touch path parameters; patterns go through the router,
//! whose parameters live only inside their arm. Each route's pipeline is
//! inlined into its arm, so a request is one future.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::pipeline;
use crate::chain::model::{Model, PathEntry};
use crate::chain::resolve::routes::needs_router;

/// The expression building the router in `new`.
pub(super) fn router_init(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let entries = model
        .table
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.params.is_empty())
        .map(|(i, e)| {
            let pattern = &e.pattern;
            let index = u16::try_from(i).unwrap_or(u16::MAX);
            let names = &e.params;
            quote!((#pattern, #index, &[#(#names),*]))
        });
    quote!(#krate::__private::Router::new(&[#(#entries),*]))
}

/// The statements that match the path and dispatch on the method, then the
/// unmatched pipeline (404/405).
pub(super) fn dispatch(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let def = model.def;
    let arm = |e: &PathEntry, params: &TokenStream| {
        let has = |m: &str| e.routes.iter().any(|&r| def.routes[r].method == m);
        let implicit_head = has("GET") && !has("HEAD");
        let mut allow: Vec<String> = e
            .routes
            .iter()
            .map(|&r| def.routes[r].method.to_string())
            .collect();
        if implicit_head {
            allow.push("HEAD".into());
        }
        let allow = allow.join(", ");
        let pattern = &e.pattern;
        let tests = e.routes.iter().map(|&r| {
            let m = &def.routes[r].method;
            let route = route_fn(model, r);
            let rec = model.def.stats.then(|| quote!(, __kiln_rec));
            let head = (implicit_head && m == "GET")
                .then(|| quote!(|| *__kiln_req.method() == #krate::__private::Method::HEAD));
            quote!(if *__kiln_req.method() == #krate::__private::Method::#m #head {
                let __kiln_cx = #krate::__private::RequestCx::new(
                    __kiln_info, #params, ::core::option::Option::Some(#pattern));
                return self.#route(__kiln_req, __kiln_arena, &__kiln_cx #rec).await;
            })
        });
        quote!({ #(#tests)* #allow })
    };
    let empty = quote!(&#krate::__private::PathParams::EMPTY);
    let literal = model.table.iter().filter(|e| e.params.is_empty()).map(|e| {
        let p = &e.pattern;
        let body = arm(e, &empty);
        quote!(#p => #body,)
    });
    let other = if needs_router(&model.table) {
        let arms = model
            .table
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.params.is_empty())
            .map(|(i, e)| {
                let i = u16::try_from(i).unwrap_or(u16::MAX);
                let body = arm(e, &quote!(&__kiln_params));
                quote!(#i => #body,)
            });
        quote!(__kiln_path => match self.__kiln_router.find(__kiln_path) {
            ::core::option::Option::Some((__kiln_index, __kiln_params)) => match __kiln_index {
                #(#arms)*
                _ => "",
            },
            ::core::option::Option::None => "",
        })
    } else {
        quote!(_ => "")
    };
    let rec = model.def.stats.then(|| quote!(, __kiln_rec));
    quote! {
        let __kiln_allow: &'static str = match __kiln_req.uri().path() {
            #(#literal)*
            #other
        };
        let __kiln_cx = #krate::__private::RequestCx::new(
            __kiln_info, #empty, ::core::option::Option::None);
        self.__kiln_unmatched(__kiln_req, __kiln_arena, &__kiln_cx #rec, __kiln_allow).await
    }
}

/// The name of route `r`'s pipeline function: `__kiln_get_users_id`.
fn route_fn(model: &Model, r: usize) -> syn::Ident {
    let name = |i: usize| {
        let route = &model.def.routes[i];
        let words: String = format!("{} {}", route.method, route.pattern)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    ' '
                }
            })
            .collect();
        words.split_whitespace().collect::<Vec<_>>().join("_")
    };
    let mine = name(r);
    let clash = (0..model.def.routes.len()).any(|i| i != r && name(i) == mine);
    if clash {
        format_ident!("__kiln_{}_{}", mine, r)
    } else {
        format_ident!("__kiln_{}", mine)
    }
}

/// One `async fn` per route (and one for unmatched requests), each its own
/// pipeline: the compiler optimizes many small functions much faster than
/// one `handle` holding every route (see BENCHMARKS.md, compile time).
/// They borrow the request, so calling one moves nothing but references.
pub(super) fn route_fns(model: &Model) -> TokenStream {
    let krate = &model.krate;
    let rec_param = model
        .def
        .stats
        .then(|| quote!(, __kiln_rec: #krate::__private::Recorder<'__kiln_a>));
    let sig = |name: &syn::Ident, extra: TokenStream| {
        quote! {
            #[inline]
            #[allow(unused_labels, unused_variables, unreachable_code, clippy::let_unit_value, clippy::unused_async)]
            async fn #name<'__kiln_a>(
                &'__kiln_a self,
                __kiln_req: &'__kiln_a mut #krate::__private::Request,
                __kiln_arena: &'__kiln_a mut #krate::__private::Bump,
                __kiln_cx: &'__kiln_a #krate::__private::RequestCx<'__kiln_a>
                #rec_param
                #extra
            ) -> #krate::__private::Response
        }
    };
    let routes = (0..model.routes.len()).map(|r| {
        let sig = sig(&route_fn(model, r), TokenStream::new());
        let body = pipeline::body(model, &model.routes[r]);
        quote!(#sig #body)
    });
    let unmatched = {
        let sig = sig(
            &format_ident!("__kiln_unmatched"),
            quote!(, __kiln_allow: &'static str),
        );
        let body = pipeline::body(model, &model.unmatched);
        quote!(#sig #body)
    };
    quote!(#(#routes)* #unmatched)
}
