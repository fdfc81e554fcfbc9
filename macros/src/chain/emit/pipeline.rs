//! One pipeline as straight-line code over plain locals.
//!
//! Singletons are `&self` fields; middleware outputs and request-scoped
//! values are locals named for what they hold (`__kiln_claims`); transient
//! values are constructor calls in argument position; extracted values are
//! locals bound just before their consumer. The response is one slot per
//! pipeline (`__kiln_res`), assigned once on every path. A post hook opens a
//! labeled block around everything inside it (`'__kiln_inside_log`), so a
//! short-circuit (`__kiln_res = response; break 'label;`) runs exactly the
//! post hooks outside it, each modifying the slot in place. A `wrap` hook
//! gets the rest of the pipeline as a pinned future on the stack. A
//! request-scoped value with a finish step opens a labeled block of its own
//! ([`scope`](super::scope)).
//!
//! With `options { stats }` every hook, handler and route is also timed into
//! the slot the model numbered; without it not one token differs.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use super::respan;
use crate::chain::model::{Arg, Call, Hooks, Model, Pipeline, Source};
use crate::desc::{Mode, first_span};
use crate::symbol::{is_valid_extractor, key, snake};

/// The pipeline as a block evaluating to its response.
pub(super) fn body(model: &Model, p: &Pipeline) -> TokenStream {
    let e = Emitter {
        model,
        p,
        krate: &model.krate,
    };
    let res = e.res_decl(0);
    let slots = e.slot_decls();
    let Some(base) = p.slot else {
        let body = e.members(0, None);
        return quote!({ #res #slots #body __kiln_res });
    };
    // Every exit, short-circuits included, leaves through this block, so the
    // route's timing sees every request.
    let l = syn::Lifetime::new("'__kiln_route", Span::call_site());
    let body = e.members(0, Some(&l));
    let base = lit(base);
    quote!({
        #res
        #slots
        let __kiln_route_t = __kiln_rec.now();
        #l: #body
        __kiln_rec.record(#base, __kiln_route_t);
        __kiln_res
    })
}

fn lit(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}

/// Where code sits, for stats slots and what a short-circuit counts.
#[derive(Clone, Copy)]
pub(super) enum Pos {
    Pre(usize),
    Post(usize),
}

pub(super) struct Emitter<'m, 'a> {
    pub(super) model: &'m Model<'a>,
    pub(super) p: &'m Pipeline<'a>,
    pub(super) krate: &'m TokenStream,
}

/// Where a short-circuit goes: `hoist` for extractions hoisted before the
/// call, `inline` for what runs in argument position (a fallible transient
/// provider). They differ only at the handler, whose extractors run before
/// the request-scoped values it needs are built.
#[derive(Clone, Copy)]
pub(super) struct Labels<'l> {
    pub(super) hoist: Option<&'l syn::Lifetime>,
    pub(super) inline: Option<&'l syn::Lifetime>,
}

impl<'l> Labels<'l> {
    pub(super) fn one(label: Option<&'l syn::Lifetime>) -> Self {
        Labels {
            hoist: label,
            inline: label,
        }
    }
}

impl Emitter<'_, '_> {
    /// `let [mut] __kiln_res: Response;` for the block starting at member
    /// `from`: `mut` only when a post hook before the next `wrap` modifies
    /// it, or a finish step does (every one built from `from` on finishes
    /// at this level, or after a `wrap` of this level that cancelled it).
    pub(super) fn res_decl(&self, from: usize) -> TokenStream {
        let krate = self.krate;
        let modified = self.p.members[from..]
            .iter()
            .take_while(|m| !matches!(m.hooks, Hooks::Wrap(_)))
            .any(|m| m.hooks.post().is_some())
            || self.p.built[from..]
                .iter()
                .flatten()
                .any(|b| b.call.desc.finish);
        let m = modified.then(|| quote!(mut));
        quote!(let #m __kiln_res: #krate::__private::Response;)
    }

    pub(super) fn slot(&self, at: Pos) -> Option<proc_macro2::Literal> {
        let (Pos::Pre(i) | Pos::Post(i)) = at;
        self.p.slot.map(|base| lit(base + 1 + i))
    }

    /// Counts a short-circuit at `at` for it and for the route.
    pub(super) fn sc_stat(&self, at: Pos) -> TokenStream {
        match (self.p.slot, self.slot(at)) {
            (Some(base), Some(s)) => {
                let base = lit(base);
                quote!(__kiln_rec.short(#base, #s);)
            }
            _ => TokenStream::new(),
        }
    }

    /// `expr` (producing the response) timed into the slot of `at`.
    fn timed(&self, at: Pos, expr: TokenStream) -> TokenStream {
        match self.slot(at) {
            None => expr,
            Some(s) => quote!({
                let __kiln_t = __kiln_rec.now();
                let __kiln_r = #expr;
                __kiln_rec.record(#s, __kiln_t);
                __kiln_r
            }),
        }
    }

    /// How a short-circuit leaves: to the nearest enclosing post hook, or
    /// out of the route.
    fn short_circuit(
        &self,
        label: Option<&syn::Lifetime>,
        err: &TokenStream,
        stat: &TokenStream,
    ) -> TokenStream {
        let krate = self.krate;
        // Bound first: `break 'l ::path` would read as a labeled `'l:` to syn.
        let res = self.rendered(quote!(#krate::__private::IntoResponse::into_response(#err)));
        match label {
            Some(l) => quote!({ #stat __kiln_res = #res; break #l; }),
            None if stat.is_empty() => quote!(return #res),
            None => quote!({ #stat return #res }),
        }
    }

    /// A `Result` output short-circuits on `Err`; other outputs are the value.
    pub(super) fn unwrap_result(
        &self,
        call: &Call,
        expr: TokenStream,
        label: Option<&syn::Lifetime>,
        at: Pos,
    ) -> TokenStream {
        if !call.desc.is_fallible() {
            return expr;
        }
        let sc = self.short_circuit(label, &quote!(__kiln_e), &self.sc_stat(at));
        quote!(match #expr { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(__kiln_e) => #sc })
    }

    /// Whether some consumer in the pipeline takes `source` by `&mut`.
    pub(super) fn taken_mut(&self, matches: impl Fn(&Source) -> bool + Copy) -> bool {
        fn walk(call: &Call, matches: &dyn Fn(&Source) -> bool) -> bool {
            call.recv.iter().chain(&call.args).any(|a| {
                (a.mode == Mode::Mut && matches(&a.source))
                    || matches!(&a.source, Source::Transient(t) if walk(t, matches))
            })
        }
        self.p.calls().any(|c| walk(c, &matches))
    }

    fn output_local(&self, i: usize) -> syn::Ident {
        let k = self.p.members[i].item.desc.provides().unwrap_or_default();
        format_ident!("__kiln_{}", snake(&k))
    }

    fn label(&self, i: usize) -> syn::Lifetime {
        let name = snake(&self.p.members[i].item.desc.name);
        let taken = self.p.members[..i]
            .iter()
            .any(|m| snake(&m.item.desc.name) == name);
        let suffix = if taken {
            format!("_{i}")
        } else {
            String::new()
        };
        syn::Lifetime::new(&format!("'__kiln_inside_{name}{suffix}"), Span::call_site())
    }

    /// Members `i..` (and then the handler) as statements, nesting a labeled
    /// block for every post hook.
    fn members(&self, i: usize, label: Option<&syn::Lifetime>) -> TokenStream {
        if i == self.p.members.len() {
            return self.leaf(label);
        }
        let body = self.with_built(i, label, &|label| self.member(i, label));
        quote!({ #body })
    }

    /// Member `i` and everything inside it, after the values built for it.
    fn member(&self, i: usize, label: Option<&syn::Lifetime>) -> TokenStream {
        match &self.p.members[i].hooks {
            Hooks::Wrap(call) => {
                // The rest of the chain becomes a pinned future on the stack,
                // lent to the hook as `Next`. Inside it, a short-circuit
                // `return`s from that future: the wrap hook sees the response,
                // and so do the post hooks outside it.
                let inner = self.members(i + 1, None);
                let inner_res = self.res_decl(i + 1);
                let mut hoist = Vec::new();
                let call = self.call(Pos::Pre(i), call, Labels::one(label), &mut hoist);
                let krate = self.krate;
                // Timed inclusively: the rest of the chain runs inside the hook.
                let res = self.timed(
                    Pos::Pre(i),
                    self.rendered(quote!(#krate::__private::IntoResponse::into_response(#call))),
                );
                // Values with a finish step built inside live in slots out
                // here; what the hook cancelled or caught is finished now.
                let cancelled = self.finish_cancelled(i);
                quote!({
                    #(#hoist)*
                    let __kiln_next = async {
                        #inner_res
                        #inner
                        __kiln_res
                    };
                    let __kiln_next = ::core::pin::pin!(__kiln_next);
                    __kiln_res = #res;
                } #cancelled)
            }
            Hooks::Pre(pre) => {
                let pre = self.pre_hook(i, pre, false, label);
                let rest = self.members(i + 1, label);
                quote!(#pre #rest)
            }
            Hooks::Post(post) => self.around(i, None, post, label),
            Hooks::Both(pre, post) => self.around(i, Some(pre), post, label),
        }
    }

    /// A member with a post hook: the post hook wraps everything inside it,
    /// so a short-circuit breaks out of this block and the post hook still runs.
    fn around(
        &self,
        i: usize,
        pre: Option<&Call>,
        post: &Call,
        label: Option<&syn::Lifetime>,
    ) -> TokenStream {
        let pre_stmt = pre.map(|c| self.pre_hook(i, c, true, label));
        let l = self.label(i);
        let rest = self.members(i + 1, Some(&l));
        let mut hoist = Vec::new();
        let call = self.call(Pos::Post(i), post, Labels::one(None), &mut hoist);
        let call = match self.slot(Pos::Post(i)) {
            None => quote!(#call;),
            Some(s) if pre.is_some() => {
                let pre_time = self.pre_time(i);
                quote! {
                    let __kiln_t = __kiln_rec.now();
                    #call;
                    __kiln_rec.record_ns(#s, #pre_time + __kiln_rec.since(__kiln_t));
                }
            }
            Some(s) => quote! {
                let __kiln_t = __kiln_rec.now();
                #call;
                __kiln_rec.record(#s, __kiln_t);
            },
        };
        quote! {
            #pre_stmt
            #l: { #rest }
            #(#hoist)*
            #call
        }
    }

    fn pre_time(&self, i: usize) -> syn::Ident {
        format_ident!("__kiln_{}_pre_ns", snake(&self.p.members[i].item.desc.name))
    }

    /// The handler (or 404/405) assigning the response slot: its extractors
    /// run first, then the request-scoped values only it needs, then the
    /// call. Extractor rejections short-circuit to the innermost post hook
    /// like any pre hook.
    fn leaf(&self, label: Option<&syn::Lifetime>) -> TokenStream {
        let n = self.p.members.len();
        let krate = self.krate;
        match &self.p.handler {
            Some(h) => {
                let mut hoist = Vec::new();
                let inner = self.inner_label(n, label);
                let labels = Labels {
                    hoist: label,
                    inline: inner.as_ref().or(label),
                };
                let call = self.call(Pos::Pre(n), h, labels, &mut hoist);
                // Converted at the handler: a return type that is not a
                // response is reported at the handler's name.
                let into = respan(
                    quote!(#krate::__private::IntoResponse::into_response(__kiln_out)),
                    h.desc.ident.span(),
                );
                let into = self.rendered(into);
                let res = self.timed(Pos::Pre(n), quote!({ let __kiln_out = #call; #into }));
                let body = self.with_built(n, label, &|_| quote!(__kiln_res = #res;));
                if !self.p.unmatched {
                    return quote!({ #(#hoist)* #body });
                }
                // The fallback answers unmatched paths; a known path with the
                // wrong method is still a 405.
                let not_allowed = self.timed(Pos::Pre(n), self.not_allowed());
                quote!({
                    if __kiln_allow.is_empty() {
                        #(#hoist)* #body
                    } else {
                        __kiln_res = #not_allowed;
                    }
                })
            }
            None => {
                let not_found = self.rendered(quote!(#krate::__private::not_found()));
                let not_allowed = self.not_allowed();
                let res = self.timed(
                    Pos::Pre(n),
                    quote! {
                        if __kiln_allow.is_empty() { #not_found } else { #not_allowed }
                    },
                );
                quote!({ __kiln_res = #res; })
            }
        }
    }

    fn not_allowed(&self) -> TokenStream {
        let krate = self.krate;
        self.rendered(quote!(#krate::__private::method_not_allowed(__kiln_allow)))
    }

    /// `res` (a response expression) rendered by `options { errors = render }`
    /// when it carries a `kiln::Error`; as is without the option.
    pub(super) fn rendered(&self, res: TokenStream) -> TokenStream {
        let Some(render) = &self.model.def.errors else {
            return res;
        };
        let krate = self.krate;
        quote!({
            let mut __kiln_r = #res;
            #krate::__private::rerender(&mut __kiln_r, #render);
            __kiln_r
        })
    }

    /// The pre hook of member `i` as statements: its output bound to a
    /// local, an `Err` short-circuiting. With stats it is timed; when the
    /// member also has a post hook (`paired`), the pre hook's share waits in
    /// a local and the post hook records the sum.
    fn pre_hook(
        &self,
        i: usize,
        call: &Call,
        paired: bool,
        label: Option<&syn::Lifetime>,
    ) -> TokenStream {
        let mut hoist = Vec::new();
        let expr = self.call(Pos::Pre(i), call, Labels::one(label), &mut hoist);
        let (timing, expr, stat) = match self.slot(Pos::Pre(i)) {
            None => (TokenStream::new(), expr, TokenStream::new()),
            Some(s) => {
                let sc = self.sc_stat(Pos::Pre(i));
                let (rec, stat) = if paired {
                    let pre_time = self.pre_time(i);
                    (
                        quote!(let #pre_time = __kiln_rec.since(__kiln_t);),
                        quote!(__kiln_rec.record_ns(#s, #pre_time); #sc),
                    )
                } else {
                    (quote!(__kiln_rec.record(#s, __kiln_t);), sc)
                };
                let timing = quote!(let __kiln_t = __kiln_rec.now(); let __kiln_v = #expr; #rec);
                (timing, quote!(__kiln_v), stat)
            }
        };
        let value = if call.desc.is_fallible() {
            let sc = self.short_circuit(label, &quote!(__kiln_e), &stat);
            quote!(match #expr { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(__kiln_e) => #sc })
        } else {
            expr
        };
        if call.desc.provides().is_some() {
            let local = self.output_local(i);
            let m = self
                .taken_mut(|s| matches!(s, Source::Output(j) | Source::State(j) if *j == i))
                .then(|| quote!(mut));
            quote!(#(#hoist)* #timing let #m #local = #value;)
        } else {
            quote!(#(#hoist)* #timing #value;)
        }
    }

    /// The call expression; extractions are hoisted into `hoist` as `let`
    /// statements, so the request can be lent mutably to a body extractor
    /// before the call borrows it again.
    pub(super) fn call(
        &self,
        at: Pos,
        call: &Call,
        labels: Labels,
        hoist: &mut Vec<TokenStream>,
    ) -> TokenStream {
        let mut args: Vec<TokenStream> = Vec::new();
        for a in call.recv.iter().chain(&call.args) {
            args.push(self.arg(at, a, labels, hoist));
        }
        let path = call.path;
        let target = match &call.desc.method {
            Some(m) => {
                let m = syn::Ident::new(m, Span::call_site());
                quote!(#path::#m)
            }
            None => quote!(#path),
        };
        // The call's own tokens sit at the item's name, so an error about the
        // call as a whole (a future that is not `Send`) is reported there,
        // once; the arguments keep their spans at the parameters.
        let at = call.desc.ident.span();
        let target = respan(target, at);
        let mut args =
            proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, quote!(#(#args),*));
        args.set_span(args.span().located_at(at));
        if !call.desc.is_async {
            return quote!(#target #args);
        }
        // A future that is not `Send` is reported here, at the item.
        let krate = self.krate;
        let send = respan(quote!(#krate::__private::send), at);
        let mut call =
            proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, quote!(#target #args));
        call.set_span(call.span().located_at(at));
        let aw = respan(quote!(.await), at);
        quote!(#send #call #aw)
    }

    fn arg(&self, at: Pos, a: &Arg, labels: Labels, hoist: &mut Vec<TokenStream>) -> TokenStream {
        let krate = self.krate;
        let span = a.ty.map_or_else(Span::call_site, first_span);
        // Lent through `__private::lend`, which checks at the consumer's type
        // that it is the type provided (two types can share a name).
        let lend = |place: TokenStream| match a.mode {
            Mode::Mut => respan(quote!(#krate::__private::lend_mut(&mut #place)), span),
            _ => respan(quote!(#krate::__private::lend(&#place)), span),
        };
        match &a.source {
            Source::Request => lend(quote!(*__kiln_req)),
            Source::Response => lend(quote!(__kiln_res)),
            Source::Arena => quote!(&*__kiln_arena),
            Source::Next => quote!(#krate::__private::Next::new(__kiln_next)),
            Source::Stats => quote!(&self.__kiln_stats),
            Source::Singleton(j) => {
                let f = self.model.singletons[*j].field;
                lend(quote!(self.#f))
            }
            Source::RequestScoped(r) => lend(self.request_place(*r)),
            Source::Output(j) | Source::State(j) => {
                let local = self.output_local(*j);
                lend(quote!(#local))
            }
            Source::Transient(t) => {
                let expr = self.call(at, t, labels, hoist);
                let value = self.unwrap_result(t, expr, labels.inline, at);
                match a.mode {
                    Mode::Val => value,
                    _ => lend(quote!((#value))),
                }
            }
            Source::Extractor => {
                let ty = snake(&a.ty.map(key).unwrap_or_default());
                // Two extractions of one type in one call get distinct names.
                let clash = |name: &str| {
                    hoist
                        .iter()
                        .any(|h| h.to_string().starts_with(&format!("let {name} ")))
                };
                let mut name = format!("__kiln_{ty}");
                if clash(&name) {
                    name = format!("__kiln_{ty}_{}", hoist.len());
                }
                let local = syn::Ident::new(&name, Span::call_site());
                let sc = self.short_circuit(labels.hoist, &quote!(__kiln_r), &self.sc_stat(at));
                // The call and its `.await` share the user's span, so an
                // unsatisfied bound is reported once, at the parameter.
                let extract = if a.ty.is_some_and(is_valid_extractor) {
                    // Its validation context is a singleton, found by type.
                    quote!(#krate::__private::valid_with(
                        &mut *__kiln_req, __kiln_cx, #krate::__private::HasSingleton::singleton(self)
                    ).await)
                } else {
                    quote!(#krate::__private::FromRequest::from_request(&mut *__kiln_req, __kiln_cx).await)
                };
                let extract = respan(extract, span);
                hoist.push(quote!(let #local = match #extract {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(__kiln_r) => #sc,
                };));
                quote!(#local)
            }
            Source::Unresolved => quote!(::core::unreachable!()),
        }
    }
}
