//! Routing as generated code: literal paths are arms of a `match` on the
//! path and never touch path parameters; patterns go through the router,
//! whose parameters live only inside their arm. Each route's pipeline is
//! inlined into its arm, so a request is one future. (One `async fn` per
//! route was measured and is slower both to compile and per request: see
//! BENCHMARKS.md, compile time.)

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::pipeline;
use crate::chain::model::{Model, PathEntry};
use crate::chain::parse::Rate;
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
            let body = pipeline::body(model, &model.routes[r]);
            let head = (implicit_head && m == "GET")
                .then(|| quote!(|| *__kiln_req.method() == #krate::__private::Method::HEAD));
            let limits = route_limits(model, r);
            quote!(if *__kiln_req.method() == #krate::__private::Method::#m #head {
                let __kiln_cx = &#krate::__private::RequestCx::new(
                    __kiln_info, #params, ::core::option::Option::Some(#pattern))#limits;
                return #body;
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
    let fallback = pipeline::body(model, &model.unmatched);
    quote! {
        let __kiln_allow: &'static str = match __kiln_req.uri().path() {
            #(#literal)*
            #other
        };
        let __kiln_cx = &#krate::__private::RequestCx::new(
            __kiln_info, #empty, ::core::option::Option::None);
        #fallback
    }
}

/// `.with_limits(..)` for a route with `#[limit(..)]`: a constant, so a
/// limit that fails its checks (a body of 0, a quota of 0) is a compile error
/// at the attribute.
fn route_limits(model: &Model, r: usize) -> TokenStream {
    let limits = &model.def.routes[r].limits;
    if limits.is_empty() {
        return TokenStream::new();
    }
    let span = limits.span.unwrap_or_else(proc_macro2::Span::call_site);
    // The crate path at the attribute too, so a failed evaluation points there.
    let krate = &respan(model.krate.clone(), span);
    let index = u16::try_from(r).unwrap_or(u16::MAX);
    let count = u16::try_from(model.def.routes.len()).unwrap_or(u16::MAX);
    let body = match &limits.body {
        Some(e) => quote_spanned!(span=> ::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    };
    let rate = match &limits.rate {
        None => quote!(#krate::__private::RouteRate::Default),
        Some(Rate::Exempt) => quote!(#krate::__private::RouteRate::Exempt),
        Some(Rate::Quota(q)) => quote_spanned!(span=> #krate::__private::RouteRate::Quota(#q)),
    };
    quote_spanned! {span=>
        .with_limits({
            const __KILN_LIMITS: &#krate::__private::RouteLimits =
                &#krate::__private::RouteLimits::__declare(#index, #count, #body, #rate);
            __KILN_LIMITS
        })
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut n = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                n.set_span(span);
                t = proc_macro2::TokenTree::Group(n);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}
