//! Code generation for `chain!`: sort, resolve dependencies, emit straight-line code.
//!
//! Every route becomes one `async fn` of plain locals: singletons are `&self`
//! fields, middleware outputs and request-scoped values are locals, and
//! transient values are constructor calls in argument position. The response
//! is one slot per pipeline (`__kiln_res`), assigned once on every path. A
//! post hook opens a labeled block around everything inside it, so a
//! short-circuit (`__kiln_res = response; break 'label;`) runs exactly the post
//! hooks outside it, each modifying the slot in place.
//!
//! With `options { stats }` every hook, handler and route is also timed into
//! a numbered slot of the app's `Stats` (see [`Pipe::slot`]); without it not
//! one token differs from a chain that never heard of stats.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Path;

use super::parse::{ChainDef, Listed, same_path};
use super::routes;
use crate::desc::{Desc, DescKind, Mode, Output, Param, Phase, Recv, first_span, is_next, key};

/// Errors collected across routes; the same message at the same place is kept once.
#[derive(Default)]
pub(crate) struct Errors(Vec<(String, syn::Error)>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, msg: String) {
        let id = format!("{span:?}{msg}");
        if !self.0.iter().any(|(k, _)| *k == id) {
            self.0.push((id, syn::Error::new(span, msg)));
        }
    }
}

/// A listed item with its descriptor.
#[derive(Clone, Copy)]
pub(super) struct Item<'a> {
    pub(super) path: &'a Path,
    pub(super) desc: &'a Desc,
}

/// One middleware in a route's pipeline, after sorting.
pub(super) struct Member<'a> {
    pub(super) item: Item<'a>,
    pub(super) priority: i64,
    /// Listed in the route (or its scope) rather than in `middleware`.
    pub(super) local: bool,
}

/// Where a consumer sits, which decides what it may see.
#[derive(Clone, Copy)]
pub(super) enum At {
    /// Before member `i` runs its pre hook (the handler is at `members.len()`).
    Pre(usize),
    /// The post hook of member `i`.
    Post(usize),
    /// Inside `new`, building singletons.
    Startup,
}

/// Everything known about the app: its items, keyed for lookup.
pub(super) struct App<'a> {
    pub(super) def: &'a ChainDef,
    pub(super) items: Vec<Item<'a>>,
    pub(super) request: Vec<Item<'a>>,
    pub(super) transient: Vec<Item<'a>>,
}

/// What `chain!` generates, in two parts so the expansion snapshot can show
/// that the app itself does not change when introspection is added.
pub(crate) struct Generated {
    /// The app struct, `new` and `App::handle`.
    pub(crate) app: TokenStream,
    /// `describe()`: static data, never touched by a request.
    pub(crate) describe: TokenStream,
}

pub(crate) fn expand(def: &ChainDef, descs: &[Option<Desc>]) -> TokenStream {
    match generate(def, descs) {
        Ok(Generated { app, describe }) => quote!(#app #describe),
        Err(errors) => errors,
    }
}

/// The generated code, or every error found as `compile_error!`s.
pub(crate) fn generate(def: &ChainDef, descs: &[Option<Desc>]) -> Result<Generated, TokenStream> {
    let mut errs = Errors::default();
    let paths = def.items();
    let mut items = Vec::new();
    for (path, d) in paths.iter().zip(descs) {
        match d {
            Some(desc) => items.push(Item { path, desc }),
            None => errs.push(
                span_of(path),
                format!("`{}` is not a kiln item", path_str(path)),
            ),
        }
    }
    let mut app = App {
        def,
        items,
        request: Vec::new(),
        transient: Vec::new(),
    };
    app.request = app.providers(&def.request, &mut errs);
    app.transient = app.providers(&def.transient, &mut errs);
    let order = app.request_order(&mut errs);
    let table = routes::table(def, &mut errs);
    let router = routes::needs_router(&table).then(|| routes::router_init(&table));
    app.check_method_names(&mut errs);
    let new_fn = app.new_fn(router.as_ref(), &mut errs);
    // Stats slots are numbered route by route: the route, its members, its
    // handler; the runtime derives the same layout from `describe()`.
    let mut slot = 0;
    let route_fns: Vec<TokenStream> = (0..def.routes.len())
        .map(|i| app.route(i, &order, &mut slot, &mut errs))
        .collect();
    let fallback = app.fallback(&order, &mut slot, &mut errs);
    if !errs.0.is_empty() {
        return Err(errs
            .0
            .into_iter()
            .map(|(_, e)| e.to_compile_error())
            .collect());
    }
    let describe = super::describe::describe(&app);
    let name = &def.name;
    let vis = &def.vis;
    let attrs = &def.attrs;
    let fields = def.singletons.iter().map(|s| &s.field);
    let types = def.singletons.iter().map(|s| &s.ty);
    let router_field = router
        .is_some()
        .then(|| quote!(__kiln_router: ::kiln::__private::Router,));
    let stats_field = def
        .stats
        .then(|| quote!(__kiln_stats: ::kiln::__private::Stats,));
    let recorder = def
        .stats
        .then(|| quote!(let __kiln_rec = self.__kiln_stats.recorder();));
    let dispatch = routes::dispatch(def, &table, &route_fns, &fallback);
    let app = quote! {
        #(#attrs)*
        #vis struct #name { #( #fields: #types, )* #router_field #stats_field }

        impl #name {
            #new_fn
        }

        impl ::kiln::__private::App for #name {
            #[allow(unused_mut, unused_labels, unused_variables, unreachable_code, clippy::let_unit_value)]
            fn handle<'__kiln_a>(
                &'__kiln_a self,
                mut __kiln_owned: ::kiln::__private::Request,
                __kiln_conn: &'__kiln_a mut ::kiln::__private::Conn,
            ) -> impl ::core::future::Future<Output = ::kiln::__private::Response> + ::core::marker::Send + '__kiln_a {
                async move {
                    let __kiln_req = &mut __kiln_owned;
                    let (__kiln_info, __kiln_arena) = __kiln_conn.split();
                    #recorder
                    #dispatch
                }
            }
        }
    };
    Ok(Generated { app, describe })
}

pub(super) fn path_str(p: &Path) -> String {
    quote!(#p).to_string().replace(' ', "")
}

fn span_of(p: &Path) -> Span {
    first_span(&quote!(#p))
}

pub(super) fn output_key(d: &Desc) -> Option<String> {
    if d.phase == Phase::Wrap {
        return None; // it returns the response, provides nothing
    }
    match &d.output {
        Output::Unit => None,
        Output::Value(t) | Output::Result(t) => Some(key(t)).filter(|k| k != "()"),
    }
}

/// A `Result` output short-circuits on `Err`; other outputs are the value.
/// `stat` counts the short-circuit (empty without stats).
fn unwrap_result(
    desc: &Desc,
    call: TokenStream,
    label: Option<&syn::Lifetime>,
    stat: &TokenStream,
) -> TokenStream {
    match desc.output {
        Output::Result(_) => {
            let sc = short_circuit(label, &quote!(__kiln_e), stat);
            quote!(match #call { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(__kiln_e) => #sc })
        }
        _ => call,
    }
}

/// How a short-circuit leaves: to the nearest enclosing post hook, or out of the route.
fn short_circuit(
    label: Option<&syn::Lifetime>,
    err: &TokenStream,
    stat: &TokenStream,
) -> TokenStream {
    // Bound first: `break 'l ::path` would read as a labeled `'l:` to syn.
    let res = quote!(::kiln::__private::IntoResponse::into_response(#err));
    match label {
        Some(l) => quote!({ #stat __kiln_res = #res; break #l; }),
        None if stat.is_empty() => quote!(return #res),
        None => quote!({ #stat return #res }),
    }
}

fn lit(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}

impl<'a> App<'a> {
    /// A singleton named like a generated method would make a duplicate
    /// definition that rustc reports far from the cause.
    fn check_method_names(&self, errs: &mut Errors) {
        for s in &self.def.singletons {
            let taken = if s.field == "describe" {
                Some("`describe()`")
            } else if s.field == "stats" && self.def.stats {
                Some("`stats()` (from `options { stats }`)")
            } else {
                None
            };
            if let Some(method) = taken {
                errs.push(
                    s.field.span(),
                    format!(
                        "singleton `{}` clashes with the generated method {method}; rename the singleton",
                        s.field
                    ),
                );
            }
        }
    }

    fn lookup(&self, p: &Path) -> Option<Item<'a>> {
        self.items.iter().find(|i| same_path(i.path, p)).copied()
    }

    fn expect_kind(&self, p: &Path, kind: DescKind, errs: &mut Errors) -> Option<Item<'a>> {
        let item = self.lookup(p)?;
        if item.desc.kind == kind {
            return Some(item);
        }
        let want = match kind {
            DescKind::Middleware => "middleware; mark it with `#[middleware(...)]`",
            DescKind::Handler => "a handler; mark the route's function with `#[handler]`",
            DescKind::Provider => "a provider; mark the constructor with `#[provider]`",
        };
        errs.push(
            span_of(p),
            format!("{} is listed here as {want}", item.desc.who()),
        );
        None
    }

    fn providers(&self, paths: &[Path], errs: &mut Errors) -> Vec<Item<'a>> {
        let items: Vec<_> = paths
            .iter()
            .filter_map(|p| self.expect_kind(p, DescKind::Provider, errs))
            .collect();
        for it in &items {
            if output_key(it.desc).is_none() {
                errs.push(
                    span_of(it.path),
                    format!("{} returns nothing to provide", it.desc.who()),
                );
            }
        }
        items
    }

    pub(super) fn request_index(&self, k: &str) -> Option<usize> {
        self.request
            .iter()
            .position(|i| output_key(i.desc).as_deref() == Some(k))
    }

    /// Request-scoped providers in dependency order; a cycle is an error.
    fn request_order(&self, errs: &mut Errors) -> Vec<usize> {
        fn visit(
            app: &App,
            i: usize,
            stack: &mut Vec<usize>,
            done: &mut Vec<usize>,
            errs: &mut Errors,
        ) {
            if done.contains(&i) {
                return;
            }
            if let Some(pos) = stack.iter().position(|&s| s == i) {
                let names: Vec<String> = stack[pos..]
                    .iter()
                    .chain([&i])
                    .map(|&s| format!("`{}`", app.request[s].desc.name))
                    .collect();
                let it = app.request[i];
                errs.push(
                    span_of(it.path),
                    format!("request-scoped providers form a cycle: {}; break it by removing one of these parameters", names.join(" needs ")),
                );
                return;
            }
            stack.push(i);
            for p in &app.request[i].desc.params {
                if let Some(j) = app.request_index(&key(&p.ty)) {
                    visit(app, j, stack, done, errs);
                }
            }
            stack.pop();
            done.push(i);
        }
        let mut done = Vec::new();
        for i in 0..self.request.len() {
            visit(self, i, &mut Vec::new(), &mut done, errs);
        }
        done
    }

    /// Each type has one provider across singletons, request-scoped and
    /// transient providers and the route's middleware.
    fn check_unique(&self, members: &[Member], errs: &mut Errors) {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut add = |k: String, who: String, span: Span| {
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == k) {
                errs.push(
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
                Span::call_site(),
            );
        }
        for s in &self.def.singletons {
            let ty = &s.ty;
            add(
                key(&quote!(#ty)),
                format!("singleton `{}`", s.field),
                s.field.span(),
            );
        }
        let provided = self.request.iter().chain(&self.transient).copied();
        for it in provided.chain(members.iter().map(|m| m.item)) {
            if let Some(k) = output_key(it.desc) {
                add(k, it.desc.who(), span_of(it.path));
            }
        }
    }

    /// `new` takes the given singletons and builds the others from them.
    fn new_fn(&self, router: Option<&TokenStream>, errs: &mut Errors) -> TokenStream {
        let mut params = Vec::new();
        let mut lets = Vec::new();
        for (i, s) in self.def.singletons.iter().enumerate() {
            let (field, ty) = (&s.field, &s.ty);
            match &s.ctor {
                None => params.push(quote!(#field: #ty)),
                Some(path) => {
                    let Some(it) = self.expect_kind(path, DescKind::Provider, errs) else {
                        continue;
                    };
                    if it.desc.is_async || matches!(it.desc.output, Output::Result(_)) {
                        errs.push(span_of(path), format!("singleton constructor {} must be a plain `fn` returning the value; build async or fallible singletons before calling `new`", it.desc.who()));
                        continue;
                    }
                    let pipe = Pipe {
                        app: self,
                        members: &[],
                        anchors: Vec::new(),
                        extracted: std::cell::Cell::new(0),
                        stats: None,
                    };
                    let mut hoist = Vec::new();
                    let args: Vec<_> = it
                        .desc
                        .params
                        .iter()
                        .map(|p| pipe.argument(At::Startup, it, p, None, errs, i, &mut hoist))
                        .collect();
                    lets.push(quote!(let #field: #ty = #path(#(#args),*);));
                }
            }
        }
        let fields = self.def.singletons.iter().map(|s| &s.field);
        let router = router.map(|r| quote!(__kiln_router: #r,));
        let stats = self.def.stats.then(
            || quote!(__kiln_stats: ::kiln::__private::Stats::new(Self::__kiln_description()),),
        );
        let vis = &self.def.vis;
        let accessors = self.def.singletons.iter().map(|s| {
            let (field, ty) = (&s.field, &s.ty);
            let doc = format!("The `{field}` singleton.");
            quote!(#[doc = #doc] #[allow(dead_code)] #vis fn #field(&self) -> &#ty { &self.#field })
        });
        let stats_fn = self.def.stats.then(|| {
            quote! {
                /// Executions, short-circuits and latencies of every route,
                /// middleware and handler since `new`, merged from all threads.
                #[allow(dead_code)]
                #vis fn stats(&self) -> ::kiln::__private::ChainStats {
                    self.__kiln_stats.snapshot()
                }
            }
        });
        quote! {
            #(#accessors)*
            /// Builds the app from its singletons.
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            #vis fn new( #(#params),* ) -> Self {
                #(#lets)*
                Self { #( #fields, )* #router #stats }
            }
            #stats_fn
        }
    }

    /// The global middleware plus a route's own, sorted by priority; equal
    /// priorities keep listing order (the sort is stable).
    pub(super) fn members(&self, extra: &[Listed], errs: &mut Errors) -> Vec<Member<'a>>
    where
        Self: 'a,
    {
        let mut out: Vec<Member<'a>> = Vec::new();
        let global = self.def.middleware.iter().map(|l| (l, false));
        for (l, local) in global.chain(extra.iter().map(|l| (l, true))) {
            if let Some(item) = self.expect_kind(&l.path, DescKind::Middleware, errs) {
                let priority = l.priority.unwrap_or(item.desc.priority);
                out.push(Member {
                    item,
                    priority,
                    local,
                });
            }
        }
        out.sort_by_key(|m| m.priority);
        out
    }

    fn route(&self, i: usize, order: &[usize], slot: &mut usize, errs: &mut Errors) -> TokenStream {
        let route = &self.def.routes[i];
        let members = self.members(&route.with, errs);
        let Some(handler) = self.expect_kind(&route.handler, DescKind::Handler, errs) else {
            return TokenStream::new();
        };
        self.pipeline_body(&members, Some(handler), order, slot, errs)
    }

    /// 404/405 run through the same global middleware as every route.
    fn fallback(&self, order: &[usize], slot: &mut usize, errs: &mut Errors) -> TokenStream {
        let members = self.members(&[], errs);
        self.pipeline_body(&members, None, order, slot, errs)
    }

    /// One pipeline; with stats it takes the slots from `slot` on (the
    /// route, each member, the handler) and times the whole of it.
    fn pipeline_body(
        &self,
        members: &[Member<'a>],
        handler: Option<Item<'a>>,
        order: &[usize],
        slot: &mut usize,
        errs: &mut Errors,
    ) -> TokenStream {
        self.check_unique(members, errs);
        let base = *slot;
        *slot += members.len() + 2;
        let mut pipe = Pipe {
            app: self,
            members,
            anchors: Vec::new(),
            extracted: std::cell::Cell::new(0),
            stats: self.def.stats.then_some(base),
        };
        pipe.anchors = pipe.anchors(handler, order);
        // One response slot per pipeline: every path assigns it once and post
        // hooks modify it in place, so the response is not moved per level.
        if !self.def.stats {
            let body = pipe.emit(0, None, handler, order, errs);
            return quote!({
                let mut __kiln_res: ::kiln::__private::Response;
                #body
                __kiln_res
            });
        }
        // Every exit, short-circuits included, leaves through this block, so
        // the route's timing sees every request.
        let l = syn::Lifetime::new("'__kiln_route", Span::call_site());
        let body = pipe.emit(0, Some(&l), handler, order, errs);
        let base = lit(base);
        quote!({
            let mut __kiln_res: ::kiln::__private::Response;
            let __kiln_route_t = __kiln_rec.now();
            #l: #body
            __kiln_rec.record(#base, __kiln_route_t);
            __kiln_res
        })
    }
}

/// One route's pipeline under construction.
struct Pipe<'p, 'a> {
    app: &'p App<'a>,
    members: &'p [Member<'a>],
    /// For each request-scoped provider, the member index before which it is
    /// built (its first use), or `None` when this route never needs it.
    anchors: Vec<Option<usize>>,
    /// Numbers the locals that hold extracted values.
    extracted: std::cell::Cell<usize>,
    /// With `options { stats }`: the route's first stats slot.
    stats: Option<usize>,
}

impl<'a> Pipe<'_, 'a> {
    /// The stats slot of a position: the route's own slot is `base`, member
    /// `i` is `base + 1 + i`, and the handler (`i == members.len()`) follows.
    fn slot(&self, at: At) -> Option<proc_macro2::Literal> {
        match (self.stats, at) {
            (Some(base), At::Pre(i) | At::Post(i)) => Some(lit(base + 1 + i)),
            _ => None,
        }
    }

    /// Counts a short-circuit at `at` for it and for the route; nothing
    /// without stats.
    fn sc_stat(&self, at: At) -> TokenStream {
        match (self.stats, self.slot(at)) {
            (Some(base), Some(s)) => {
                let base = lit(base);
                quote!(__kiln_rec.short(#base, #s);)
            }
            _ => TokenStream::new(),
        }
    }

    /// `call` (a hook's or handler's response-producing expression) timed
    /// into the slot of `at`, when stats are on.
    fn timed(&self, at: At, call: TokenStream) -> TokenStream {
        match self.slot(at) {
            None => call,
            Some(s) => quote!({
                let __kiln_t = __kiln_rec.now();
                let __kiln_r = #call;
                __kiln_rec.record(#s, __kiln_t);
                __kiln_r
            }),
        }
    }

    /// Where each request-scoped value is first needed: before the earliest
    /// consumer, and before a post hook's block opens so the post hook sees it
    /// even after a short-circuit. Dependencies are anchored no later than
    /// their dependents.
    fn anchors(&self, handler: Option<Item<'a>>, order: &[usize]) -> Vec<Option<usize>> {
        let n = self.members.len();
        let mut anchors: Vec<Option<usize>> = vec![None; self.app.request.len()];
        let need = |params: &[Param], at: usize, anchors: &mut Vec<Option<usize>>| {
            for p in params {
                if let Some(j) = self.app.request_index(&key(&p.ty)) {
                    anchors[j] = Some(anchors[j].map_or(at, |a| a.min(at)));
                }
            }
        };
        for (i, m) in self.members.iter().enumerate() {
            need(&m.item.desc.params, i, &mut anchors);
            if let Some(post) = &m.item.desc.post {
                need(&post.params, i, &mut anchors);
            }
        }
        if let Some(h) = handler {
            need(&h.desc.params, n, &mut anchors);
        }
        for &i in order.iter().rev() {
            if let Some(at) = anchors[i] {
                need(&self.app.request[i].desc.params, at, &mut anchors);
            }
        }
        anchors
    }

    /// Emits members `i..` around `inner`, nesting a labeled block for every
    /// post hook.
    fn emit(
        &self,
        i: usize,
        label: Option<&syn::Lifetime>,
        handler: Option<Item<'a>>,
        order: &[usize],
        errs: &mut Errors,
    ) -> TokenStream {
        let built: Vec<TokenStream> = order
            .iter()
            .filter(|&&r| self.anchors[r] == Some(i))
            .map(|&r| {
                let it = self.app.request[r];
                let mut hoist = Vec::new();
                let call = self.call(At::Pre(i), it, label, errs, &mut hoist);
                let local = format_ident!("__kiln_rs{}", r);
                let value = unwrap_result(it.desc, call, label, &self.sc_stat(At::Pre(i)));
                quote!(#(#hoist)* let mut #local = #value;)
            })
            .collect();
        let Some(m) = self.members.get(i) else {
            let inner = self.leaf(i, label, handler, errs);
            return quote!({ #(#built)* #inner });
        };
        let desc = m.item.desc;
        if desc.phase == Phase::Wrap {
            // The rest of the chain becomes a pinned future on the stack, lent
            // to the hook as `Next`. Inside it, a short-circuit `return`s from
            // that future: the wrap hook sees the response, and so do the post
            // hooks outside it.
            let inner = self.emit(i + 1, None, handler, order, errs);
            let mut hoist = Vec::new();
            let call = self.call(At::Pre(i), m.item, label, errs, &mut hoist);
            // Timed inclusively: the rest of the chain runs inside the hook.
            let res = self.timed(
                At::Pre(i),
                quote!(::kiln::__private::IntoResponse::into_response(#call)),
            );
            return quote!({
                #(#built)*
                #(#hoist)*
                let __kiln_next = ::core::pin::pin!(async {
                    let mut __kiln_res: ::kiln::__private::Response;
                    #inner
                    __kiln_res
                });
                __kiln_res = #res;
            });
        }
        let (pre, post) = match desc.phase {
            Phase::Post => (None, Some(m.item)),
            Phase::Both => {
                let post = desc.post.as_deref().map(|d| Item {
                    path: m.item.path,
                    desc: d,
                });
                (Some(m.item), post)
            }
            _ => (Some(m.item), None),
        };
        let pre_stmt = pre.map(|it| self.pre_hook(i, it, post.is_some(), label, errs));
        let Some(post) = post else {
            let rest = self.emit(i + 1, label, handler, order, errs);
            return quote!({ #(#built)* #pre_stmt #rest });
        };
        // The post hook wraps everything inside it: a short-circuit breaks out
        // of this block, and the post hook still runs.
        let l = syn::Lifetime::new(&format!("'__kiln_l{i}"), Span::call_site());
        let rest = self.emit(i + 1, Some(&l), handler, order, errs);
        let mut hoist = Vec::new();
        let call = self.call(At::Post(i), post, None, errs, &mut hoist);
        let call = match self.slot(At::Post(i)) {
            None => quote!(#call;),
            Some(s) if pre.is_some() => {
                let pre_time = format_ident!("__kiln_d{}", i);
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
        quote!({
            #(#built)*
            #pre_stmt
            #l: { #rest }
            #(#hoist)*
            #call
        })
    }

    /// The handler (or 404/405) assigning the response slot; its extractors
    /// short-circuit to the innermost post hook like any pre hook.
    fn leaf(
        &self,
        i: usize,
        label: Option<&syn::Lifetime>,
        handler: Option<Item<'a>>,
        errs: &mut Errors,
    ) -> TokenStream {
        match handler {
            Some(h) => {
                let mut hoist = Vec::new();
                let call = self.call(At::Pre(i), h, label, errs, &mut hoist);
                let res = self.timed(
                    At::Pre(i),
                    quote!(::kiln::__private::IntoResponse::into_response(#call)),
                );
                quote!(#(#hoist)* __kiln_res = #res;)
            }
            None => {
                let res = self.timed(
                    At::Pre(i),
                    quote! {
                        if __kiln_allow.is_empty() {
                            ::kiln::__private::not_found()
                        } else {
                            ::kiln::__private::method_not_allowed(__kiln_allow)
                        }
                    },
                );
                quote!(__kiln_res = #res;)
            }
        }
    }

    /// The pre hook of member `i` as statements: its output bound to
    /// `__kiln_o<i>`, an `Err` short-circuiting. With stats it is timed; when
    /// the member also has a post hook (`paired`), the pre hook's share waits
    /// in `__kiln_d<i>` and the post hook records the sum.
    fn pre_hook(
        &self,
        i: usize,
        it: Item,
        paired: bool,
        label: Option<&syn::Lifetime>,
        errs: &mut Errors,
    ) -> TokenStream {
        let mut hoist = Vec::new();
        let call = self.call(At::Pre(i), it, label, errs, &mut hoist);
        let out = format_ident!("__kiln_o{}", i);
        let (timing, call, stat) = match self.slot(At::Pre(i)) {
            None => (TokenStream::new(), call, TokenStream::new()),
            Some(s) => {
                let sc = self.sc_stat(At::Pre(i));
                let pre_time = format_ident!("__kiln_d{}", i);
                let (rec, stat) = if paired {
                    (
                        quote!(let #pre_time = __kiln_rec.since(__kiln_t);),
                        quote!(__kiln_rec.record_ns(#s, #pre_time); #sc),
                    )
                } else {
                    (quote!(__kiln_rec.record(#s, __kiln_t);), sc)
                };
                let timing = quote!(let __kiln_t = __kiln_rec.now(); let __kiln_v = #call; #rec);
                (timing, quote!(__kiln_v), stat)
            }
        };
        let value = unwrap_result(it.desc, call, label, &stat);
        if output_key(it.desc).is_some() {
            quote!(#(#hoist)* #timing let mut #out = #value;)
        } else {
            quote!(#(#hoist)* #timing #value;)
        }
    }

    /// The call of a hook, handler or constructor with every argument resolved.
    /// Extractions are hoisted into `hoist` as `let` statements, so the
    /// request can be lent mutably to a body extractor before the call
    /// borrows it again.
    fn call(
        &self,
        at: At,
        it: Item,
        label: Option<&syn::Lifetime>,
        errs: &mut Errors,
        hoist: &mut Vec<TokenStream>,
    ) -> TokenStream {
        let mut args: Vec<TokenStream> = it
            .desc
            .params
            .iter()
            .map(|p| self.argument(at, it, p, label, errs, 0, hoist))
            .collect();
        if let Some(recv) = self.receiver(at, it, errs) {
            args.insert(0, recv);
        }
        let aw = it.desc.is_async.then(|| quote!(.await));
        let path = it.path;
        match &it.desc.method {
            Some(m) => {
                let m = syn::Ident::new(m, Span::call_site());
                quote!(#path::#m( #(#args),* ) #aw)
            }
            None => quote!(#path( #(#args),* ) #aw),
        }
    }

    /// `&self` of an `impl` middleware hook: its configuration singleton, or
    /// the state its `pre` returned.
    fn receiver(&self, at: At, it: Item, errs: &mut Errors) -> Option<TokenStream> {
        match (it.desc.recv, at) {
            (Recv::None, _) => None,
            (Recv::State(mode), At::Post(i)) => {
                let local = format_ident!("__kiln_o{}", i);
                Some(if mode == Mode::Mut {
                    quote!(&mut #local)
                } else {
                    quote!(&#local)
                })
            }
            (Recv::State(_) | Recv::Config(_), _) => {
                let path = it.path;
                let k = key(&quote!(#path));
                match self.app.def.singletons.iter().find(|s| {
                    let t = &s.ty;
                    key(&quote!(#t)) == k
                }) {
                    Some(s) => {
                        let f = &s.field;
                        Some(quote!(&self.#f))
                    }
                    None => {
                        errs.push(
                            span_of(it.path),
                            format!("{} is configured by its `&self`: add a singleton of type `{k}`, like `singletons {{ {}: {k} }}`", it.desc.who(), k.to_lowercase()),
                        );
                        Some(quote!(::core::unreachable!()))
                    }
                }
            }
        }
    }

    /// Resolves one parameter. `startup` is the index of the singleton being
    /// built, when `at` is `Startup`.
    #[allow(clippy::too_many_lines, clippy::too_many_arguments)] // one match over every kind of source, easier to read whole
    fn argument(
        &self,
        at: At,
        it: Item,
        p: &Param,
        label: Option<&syn::Lifetime>,
        errs: &mut Errors,
        startup: usize,
        hoist: &mut Vec<TokenStream>,
    ) -> TokenStream {
        let k = key(&p.ty);
        let ty = p.ty.to_string().replace(' ', "");
        let who = it.desc.who();
        let here = span_of(it.path);
        let mut fail = |msg: String| {
            errs.push(here, msg);
            quote!(::core::unreachable!())
        };
        let by_ref = |local: TokenStream,
                      mode: Mode,
                      fail: &mut dyn FnMut(String) -> TokenStream| match mode {
            Mode::Ref => quote!(&#local),
            Mode::Mut => quote!(&mut #local),
            Mode::Val => fail(format!(
                "{who} takes `{ty}` by value; take `&{ty}`: values provided in a chain are injected by reference"
            )),
        };
        if let At::Startup = at {
            return match self.app.def.singletons.iter().position(|s| {
                let t = &s.ty;
                key(&quote!(#t)) == k
            }) {
                Some(j) if j < startup && p.mode == Mode::Ref => {
                    let f = &self.app.def.singletons[j].field;
                    quote!(&#f)
                }
                Some(j) if j < startup => {
                    fail(format!("{who} must take singleton `{ty}` as `&{ty}`"))
                }
                Some(_) => fail(format!(
                    "{who} needs singleton `{ty}`, which is declared after it; list `{ty}` earlier in `singletons`"
                )),
                None if self.app.request_index(&k).is_some() || self.app.members_provide(&k) => {
                    fail(format!(
                        "singleton built by {who} cannot depend on `{ty}`, which exists only during a request; take it in a middleware or handler instead"
                    ))
                }
                None => fail(format!(
                    "{who} needs `&{ty}`, but no singleton before it provides `{ty}`"
                )),
            };
        }
        if it.desc.phase == Phase::Wrap {
            if is_next(&p.ty) {
                return quote!(::kiln::__private::Next::new(__kiln_next));
            }
            if k == "Request" {
                return fail(format!(
                    "`wrap` {who} cannot take `Request`: the request is lent to the rest of the chain it wraps; read what you need in a `pre_route` middleware outside it"
                ));
            }
        }
        if k == "Request" {
            return by_ref(quote!(*__kiln_req), p.mode, &mut fail);
        }
        if k == "Bump" {
            if it.desc.is_async {
                return fail(format!(
                    "{who} is async and cannot take `&Bump`: the arena is not `Sync`, so holding it across an `.await` would make the request future `!Send`; make it a plain `fn`, or take the arena in a sync helper"
                ));
            }
            return match p.mode {
                Mode::Ref => quote!(&*__kiln_arena),
                _ => fail(format!("{who} must take the arena as `&Bump`")),
            };
        }
        if k == "Response" {
            return match at {
                At::Post(_) => by_ref(quote!(__kiln_res), p.mode, &mut fail),
                _ => fail(format!(
                    "{who} runs before the response exists and cannot take `Response`"
                )),
            };
        }
        if k == "Stats" && self.app.def.stats {
            return match p.mode {
                Mode::Ref => quote!(&self.__kiln_stats),
                _ => fail(format!("{who} must take the app's stats as `&Stats`")),
            };
        }
        if let Some(s) = self.app.def.singletons.iter().find(|s| {
            let t = &s.ty;
            key(&quote!(#t)) == k
        }) {
            let f = &s.field;
            return match p.mode {
                Mode::Ref => quote!(&self.#f),
                _ => fail(format!(
                    "{who} must take singleton `{ty}` as `&{ty}`: singletons are shared, never moved or mutated"
                )),
            };
        }
        if let Some(r) = self.app.request_index(&k) {
            return by_ref(
                local_ts(&format_ident!("__kiln_rs{}", r)),
                p.mode,
                &mut fail,
            );
        }
        if let Some(t) = self
            .app
            .transient
            .iter()
            .find(|t| output_key(t.desc).as_deref() == Some(k.as_str()))
        {
            if matches!(at, At::Post(_)) && matches!(t.desc.output, Output::Result(_)) {
                return fail(format!(
                    "post hook of {who} cannot use fallible transient `{ty}`: a post hook cannot short-circuit"
                ));
            }
            let call = self.call(at, *t, label, errs, hoist);
            let value = unwrap_result(t.desc, call, label, &self.sc_stat(at));
            return match p.mode {
                Mode::Val => value,
                Mode::Ref => quote!(&#value),
                Mode::Mut => quote!(&mut #value),
            };
        }
        if let Some(j) = self
            .members
            .iter()
            .position(|m| output_key(m.item.desc).as_deref() == Some(k.as_str()))
        {
            let producer = &self.members[j];
            let (At::Pre(i) | At::Post(i)) = at else {
                unreachable!("startup handled above")
            };
            // A pre hook sees outputs of hooks before it; a post hook sees only
            // those outside it, which are sure to have run.
            // A post hook also sees its own `pre`'s output.
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
                return fail(msg);
            }
            return by_ref(local_ts(&format_ident!("__kiln_o{}", j)), p.mode, &mut fail);
        }
        match (p.mode, at) {
            (Mode::Val, At::Pre(_)) => {
                let span = Span::call_site().located_at(first_span(&p.ty));
                let sc = short_circuit(label, &quote!(__kiln_r), &self.sc_stat(at));
                let n = self.extracted.get();
                self.extracted.set(n + 1);
                let local = format_ident!("__kiln_x{}", n);
                // The call and its `.await` share the user's span, so an
                // unsatisfied bound is reported once, at the parameter.
                let extract = quote_spanned!(span=> ::kiln::__private::FromRequest::from_request(&mut *__kiln_req, &__kiln_cx).await);
                hoist.push(quote!(let #local = match #extract {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(__kiln_r) => #sc,
                };));
                quote!(#local)
            }
            _ if k == "Stats" => fail(format!(
                "{who} needs `&Stats`, but this `chain!` has no statistics; add `options {{ stats }}` to it (or, for a `Stats` type of your own, a singleton or `#[provider]` of it)"
            )),
            _ => fail(format!(
                "{who} needs `&{ty}`, but nothing in this `chain!` provides `{ty}`; add a singleton of type `{ty}`, a `#[provider]` returning `{ty}`, or a middleware that returns `{ty}`"
            )),
        }
    }
}

impl App<'_> {
    /// Whether some middleware in the app returns this key.
    fn members_provide(&self, k: &str) -> bool {
        self.items
            .iter()
            .any(|i| i.desc.is_mw() && output_key(i.desc).as_deref() == Some(k))
    }
}

fn local_ts(id: &syn::Ident) -> TokenStream {
    quote!(#id)
}
