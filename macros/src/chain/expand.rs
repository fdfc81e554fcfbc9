//! Code generation for `chain!`: sort, resolve dependencies, emit straight-line code.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Path;

use super::parse::{ChainDef, Listed, same_path};
use crate::desc::{Desc, Mode, Output, Param, Phase, first_span, key};

/// Errors collected across routes; the same message at the same place is kept once.
#[derive(Default)]
struct Errors(Vec<(String, syn::Error)>);

impl Errors {
    fn push(&mut self, span: Span, msg: String) {
        let id = format!("{span:?}{msg}");
        if !self.0.iter().any(|(k, _)| *k == id) {
            self.0.push((id, syn::Error::new(span, msg)));
        }
    }
}

/// One middleware in a route's pipeline, after sorting.
struct Member<'a> {
    path: &'a Path,
    desc: &'a Desc,
    priority: i64,
}

/// Where a consumer sits, which decides what it may see.
#[derive(Clone, Copy)]
enum At {
    /// The pre hook of member `i` (or the handler, at `i == members.len()`).
    Pre(usize),
    /// The post hook of member `i`.
    Post(usize),
}

struct Gen<'a> {
    def: &'a ChainDef,
    errs: Errors,
    descs: Vec<(&'a Path, &'a Desc)>,
}

pub(crate) fn expand(def: &ChainDef, descs: &[Option<Desc>]) -> TokenStream {
    let items = def.items();
    let mut g = Gen {
        def,
        errs: Errors::default(),
        descs: Vec::new(),
    };
    for (p, d) in items.iter().zip(descs) {
        match d {
            Some(d) => g.descs.push((p, d)),
            None => g
                .errs
                .push(span_of(p), format!("`{}` is not a kiln item", path_str(p))),
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for (id, ty) in &def.singletons {
        let k = key(&quote!(#ty));
        if seen.contains(&k) {
            g.errs
                .push(id.span(), format!("two singletons provide `{k}`; keep one"));
        }
        seen.push(k);
    }
    let route_fns: Vec<TokenStream> = (0..def.routes.len()).map(|i| g.route(i)).collect();
    let fallback = g.fallback();
    if !g.errs.0.is_empty() {
        return g
            .errs
            .0
            .into_iter()
            .map(|(_, e)| e.to_compile_error())
            .collect();
    }
    let name = &def.name;
    let vis = &def.vis;
    let attrs = &def.attrs;
    let fields: Vec<_> = def.singletons.iter().map(|(id, _)| id).collect();
    let types: Vec<_> = def.singletons.iter().map(|(_, ty)| ty).collect();
    let dispatch = dispatch(def);
    quote! {
        #(#attrs)*
        #vis struct #name { #( #fields: #types, )* }

        impl #name {
            /// Builds the app from its singletons.
            #[allow(clippy::new_without_default)]
            #vis fn new( #( #fields: #types ),* ) -> Self {
                Self { #( #fields ),* }
            }
            #(#route_fns)*
            #fallback
        }

        impl ::kiln::__private::App for #name {
            fn handle(
                &self,
                __kiln_req: ::kiln::__private::Request,
            ) -> impl ::core::future::Future<Output = ::kiln::__private::Response> + ::core::marker::Send {
                async move { #dispatch }
            }
        }
    }
}

fn path_str(p: &Path) -> String {
    quote!(#p).to_string().replace(' ', "")
}

fn span_of(p: &Path) -> Span {
    first_span(&quote!(#p))
}

fn route_fn(i: usize) -> syn::Ident {
    format_ident!("__kiln_route_{}", i)
}

/// Matches the path, then the method; yields a route index, or the fallback
/// with the `Allow` list when the path exists under other methods.
fn dispatch(def: &ChainDef) -> TokenStream {
    let mut paths: Vec<String> = Vec::new();
    for r in &def.routes {
        if !paths.contains(&r.path.value()) {
            paths.push(r.path.value());
        }
    }
    let arms = paths.iter().map(|p| {
        let routes: Vec<(usize, &syn::Ident)> = def
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.path.value() == *p)
            .map(|(i, r)| (i, &r.method))
            .collect();
        let allow = routes
            .iter()
            .map(|(_, m)| m.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let tests = routes.iter().map(|(i, m)| {
            let f = route_fn(*i);
            quote!(if *__kiln_req.method() == ::kiln::__private::Method::#m {
                return self.#f(__kiln_req).await;
            })
        });
        quote!(#p => { #(#tests)* #allow })
    });
    quote! {
        let __kiln_allow: &'static str = match __kiln_req.uri().path() {
            #(#arms)*
            _ => "",
        };
        self.__kiln_fallback(__kiln_req, __kiln_allow).await
    }
}

impl Gen<'_> {
    fn lookup(&self, p: &Path) -> Option<&Desc> {
        self.descs
            .iter()
            .find(|(q, _)| same_path(q, p))
            .map(|(_, d)| *d)
    }

    /// The global middleware plus a route's own, sorted by priority; equal
    /// priorities keep listing order (the sort is stable).
    fn members<'b>(&'b self, extra: &'b [Listed]) -> Vec<Member<'b>> {
        let mut out = Vec::new();
        for l in self.def.middleware.iter().chain(extra) {
            let Some(desc) = self.lookup(&l.path) else {
                continue;
            };
            if !desc.is_mw {
                continue;
            }
            out.push(Member {
                path: &l.path,
                desc,
                priority: l.priority.unwrap_or(desc.priority),
            });
        }
        out.sort_by_key(|m| m.priority);
        out
    }

    fn check_kinds(&mut self, listed: &[Listed]) {
        for l in listed {
            if let Some(d) = self.lookup(&l.path)
                && !d.is_mw
            {
                {
                    let msg = format!(
                        "`{}` is a handler, not middleware; list it under `routes`",
                        path_str(&l.path)
                    );
                    self.errs.push(span_of(&l.path), msg);
                }
            }
        }
    }

    fn route(&mut self, i: usize) -> TokenStream {
        let route = &self.def.routes[i];
        if route.path.value().contains('{') {
            self.errs.push(
                route.path.span(),
                "path parameters are not supported yet; use a literal path".into(),
            );
        }
        self.check_kinds(&self.def.middleware);
        self.check_kinds(&route.with);
        let handler = match self.lookup(&route.handler) {
            Some(d) if !d.is_mw => d,
            Some(_) => {
                let msg = format!(
                    "`{}` is middleware, not a handler; mark the route's function with `#[handler]`",
                    path_str(&route.handler)
                );
                self.errs.push(span_of(&route.handler), msg);
                return TokenStream::new();
            }
            None => return TokenStream::new(),
        };
        let members = self.members(&route.with);
        let mut errs = Errors::default();
        check_providers(self.def, &members, &mut errs);
        let call = consumer_call(
            self.def,
            &members,
            At::Pre(members.len()),
            &route.handler,
            handler,
            None,
            &mut errs,
        );
        let body = pipeline(
            self.def,
            &members,
            0,
            None,
            quote!(::kiln::__private::IntoResponse::into_response(#call)),
            &mut errs,
        );
        self.errs.0.extend(errs.0);
        let f = route_fn(i);
        quote! {
            #[allow(unused_mut, unused_labels, unreachable_code, clippy::let_unit_value)]
            async fn #f(&self, mut __kiln_req: ::kiln::__private::Request) -> ::kiln::__private::Response {
                #body
            }
        }
    }

    /// 404/405 run through the same global middleware as every route.
    fn fallback(&mut self) -> TokenStream {
        let members = self.members(&[]);
        let mut errs = Errors::default();
        let inner = quote! {
            if __kiln_allow.is_empty() {
                ::kiln::__private::not_found()
            } else {
                ::kiln::__private::method_not_allowed(__kiln_allow)
            }
        };
        let body = pipeline(self.def, &members, 0, None, inner, &mut errs);
        self.errs.0.extend(errs.0);
        quote! {
            #[allow(unused_mut, unused_labels, unreachable_code, clippy::let_unit_value)]
            async fn __kiln_fallback(
                &self,
                mut __kiln_req: ::kiln::__private::Request,
                __kiln_allow: &'static str,
            ) -> ::kiln::__private::Response {
                #body
            }
        }
    }
}

/// A type must have one provider: two middleware outputs of one type, or an
/// output that shadows a singleton, are errors.
fn check_providers(def: &ChainDef, members: &[Member], errs: &mut Errors) {
    let mut seen: Vec<(String, String)> = def
        .singletons
        .iter()
        .map(|(id, ty)| (key(&quote!(#ty)), format!("singleton `{id}`")))
        .collect();
    for m in members {
        if let Some(k) = output_key(m.desc) {
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == k) {
                let msg = format!(
                    "`{k}` has two providers in this chain: {other} and middleware `{}`; keep one",
                    m.desc.name
                );
                errs.push(span_of(m.path), msg);
            } else {
                seen.push((k, format!("middleware `{}`", m.desc.name)));
            }
        }
    }
}

fn output_key(d: &Desc) -> Option<String> {
    match &d.output {
        Output::Unit => None,
        Output::Value(t) | Output::Result(t) => Some(key(t)).filter(|k| k != "()"),
    }
}

/// How a short-circuit leaves: to the nearest enclosing post hook, or out of the route.
fn short_circuit(label: Option<&syn::Lifetime>, res: &TokenStream) -> TokenStream {
    if let Some(l) = label {
        quote!(break #l #res)
    } else {
        quote!(return #res)
    }
}

/// Emits members `i..` around `inner` (the handler's response expression),
/// nesting a labeled block for every post hook so that a short-circuit runs
/// exactly the post hooks outside it.
fn pipeline(
    def: &ChainDef,
    members: &[Member],
    i: usize,
    label: Option<&syn::Lifetime>,
    inner: TokenStream,
    errs: &mut Errors,
) -> TokenStream {
    let Some(m) = members.get(i) else {
        return inner;
    };
    #[allow(clippy::single_match_else, clippy::match_wildcard_for_single_variants)]
    // two shapes: nested post, flat pre
    match m.desc.phase {
        Phase::Post => {
            let l = syn::Lifetime::new(&format!("'__kiln_l{i}"), Span::call_site());
            let rest = pipeline(def, members, i + 1, Some(&l), inner, errs);
            let call = consumer_call(def, members, At::Post(i), m.path, m.desc, None, errs);
            quote!({
                let mut __kiln_res: ::kiln::__private::Response = #l: { #rest };
                #call;
                __kiln_res
            })
        }
        _ => {
            let rest = pipeline(def, members, i + 1, label, inner, errs);
            let call = consumer_call(def, members, At::Pre(i), m.path, m.desc, label, errs);
            let out = format_ident!("__kiln_o{}", i);
            let stmt = match &m.desc.output {
                Output::Unit => quote!(#call;),
                Output::Value(_) => quote!(let mut #out = #call;),
                Output::Result(_) => {
                    let sc = short_circuit(
                        label,
                        &quote!(::kiln::__private::IntoResponse::into_response(__kiln_e)),
                    );
                    quote!(let mut #out = match #call { Ok(v) => v, Err(__kiln_e) => #sc };)
                }
            };
            quote!({ #stmt #rest })
        }
    }
}

/// The call of a middleware hook or handler with every argument resolved.
fn consumer_call(
    def: &ChainDef,
    members: &[Member],
    at: At,
    path: &Path,
    desc: &Desc,
    label: Option<&syn::Lifetime>,
    errs: &mut Errors,
) -> TokenStream {
    let args: Vec<TokenStream> = desc
        .params
        .iter()
        .map(|p| argument(def, members, at, path, desc, p, label, errs))
        .collect();
    let aw = desc.is_async.then(|| quote!(.await));
    quote!(#path( #(#args),* ) #aw)
}

#[allow(clippy::too_many_arguments)]
fn argument(
    def: &ChainDef,
    members: &[Member],
    at: At,
    path: &Path,
    desc: &Desc,
    p: &Param,
    label: Option<&syn::Lifetime>,
    errs: &mut Errors,
) -> TokenStream {
    let k = key(&p.ty);
    let ty = p.ty.to_string().replace(' ', "");
    let who = if desc.is_mw {
        format!("middleware `{}`", desc.name)
    } else {
        format!("handler `{}`", desc.name)
    };
    let here = span_of(path);
    let mut fail = |msg: String| {
        errs.push(here, msg);
        quote!(::core::unreachable!())
    };
    if k == "Request" {
        return match p.mode {
            Mode::Ref => quote!(&__kiln_req),
            Mode::Mut => quote!(&mut __kiln_req),
            Mode::Val => fail(format!(
                "{who} takes `Request` by value; take `&Request` or `&mut Request`"
            )),
        };
    }
    if k == "Response" {
        return match (at, p.mode) {
            (At::Post(_), Mode::Mut) => quote!(&mut __kiln_res),
            (At::Post(_), Mode::Ref) => quote!(&__kiln_res),
            (At::Post(_), Mode::Val) => fail(format!(
                "{who} takes `Response` by value; take `&mut Response`"
            )),
            (At::Pre(_), _) => fail(format!(
                "{who} runs before the response exists and cannot take `Response`"
            )),
        };
    }
    if let Some((id, _)) = def.singletons.iter().find(|(_, t)| key(&quote!(#t)) == k) {
        return match p.mode {
            Mode::Ref => quote!(&self.#id),
            _ => fail(format!(
                "{who} must take singleton `{ty}` as `&{ty}`: singletons are shared, never moved or mutated"
            )),
        };
    }
    if let Some(j) = members
        .iter()
        .position(|m| output_key(m.desc).as_deref() == Some(k.as_str()))
    {
        let producer = &members[j];
        // A pre hook sees outputs of hooks before it; a post hook sees only
        // those outside it, which are sure to have run.
        let (At::Pre(i) | At::Post(i)) = at;
        let ok = j < i;
        if !ok {
            let msg = match at {
                At::Pre(_) => format!(
                    "{who} needs `{ty}`, produced by middleware `{}` (priority {}) which runs after it; give {who} a priority above {}",
                    producer.desc.name, producer.priority, producer.priority
                ),
                At::Post(_) => format!(
                    "post hook of {who} needs `{ty}`, produced by middleware `{}` (priority {}) which is inside it and may not have run; give {who} a priority above {}",
                    producer.desc.name, producer.priority, producer.priority
                ),
            };
            return fail(msg);
        }
        let out = format_ident!("__kiln_o{}", j);
        return match p.mode {
            Mode::Ref => quote!(&#out),
            Mode::Mut => quote!(&mut #out),
            Mode::Val => fail(format!(
                "{who} takes `{ty}` by value; take `&{ty}`: values provided in a chain are injected by reference"
            )),
        };
    }
    match (p.mode, at) {
        (Mode::Val, At::Pre(_)) => {
            let span = Span::call_site().located_at(first_span(&p.ty));
            let sc = short_circuit(
                label,
                &quote!(::kiln::__private::IntoResponse::into_response(__kiln_r)),
            );
            quote_spanned!(span=> match ::kiln::__private::FromRequest::from_request(&__kiln_req) {
                Ok(v) => v,
                Err(__kiln_r) => #sc,
            })
        }
        _ => fail(format!(
            "{who} needs `&{ty}`, but nothing in this `chain!` provides `{ty}`; add a singleton of type `{ty}` or a middleware that returns `{ty}`"
        )),
    }
}
