//! The `chain!` input grammar: syntax only.
//!
//! ```text
//! chain! {
//!     [crate = path;]
//!     #[attrs] [vis] struct Name;
//!     singletons { field: Type [= ctor], .. }
//!     request    { provider, .. }
//!     transient  { provider, .. }
//!     middleware { path [(priority = N)], .. }
//!     routes     { [#[limit(..)]] METHOD "/pattern" => handler [with [mw, ..]],
//!                  [#[limit(..)]] scope ["/prefix"] [with [mw, ..]] { routes } , ..,
//!                  fallback => handler }
//!     options    { stats, errors = render }
//! }
//! ```
//!
//! Mistakes that leave the grammar intact (an unknown method, a path without
//! `/`, an unknown section) are reported to the [`Ctxt`] and parsing goes on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token, Type, Visibility, braced, bracketed, parenthesized};

use crate::ctxt::Ctxt;

pub(crate) struct ChainDef {
    /// `crate = path`: how generated code names kiln.
    pub krate: Option<Path>,
    pub attrs: Vec<syn::Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub singletons: Vec<Singleton>,
    pub request: Vec<Path>,
    pub transient: Vec<Path>,
    pub middleware: Vec<Listed>,
    pub routes: Vec<Route>,
    /// `options { stats }`: count and time every pipeline position.
    pub stats: bool,
    /// `options { errors = render }`: how the app renders kiln's errors.
    pub errors: Option<Path>,
    /// `fallback => handler` in `routes`: what answers unmatched paths.
    pub fallback: Option<Path>,
}

/// `name: Type` (given to `new`) or `name: Type = ctor` (built by `new`).
pub(crate) struct Singleton {
    pub field: Ident,
    pub ty: Type,
    pub ctor: Option<Path>,
}

/// A middleware as listed, with an optional priority override.
#[derive(Clone)]
pub(crate) struct Listed {
    pub path: Path,
    pub priority: Option<i32>,
}

pub(crate) struct Route {
    pub method: Ident,
    /// The path as written (inside its scope), for spans.
    pub path: LitStr,
    /// The full pattern: the scopes' prefixes and the path.
    pub pattern: String,
    pub handler: Path,
    /// The scopes' middleware, then the route's own.
    pub with: Vec<Listed>,
    /// `#[limit(..)]` on the route, else on its innermost scope, per key.
    pub limits: Limits,
}

/// `#[limit(body = expr, rate = expr | exempt)]`: constants `chain!`
/// evaluates at compile time.
#[derive(Clone, Default)]
pub(crate) struct Limits {
    /// `body = expr`: a `usize` of bytes.
    pub body: Option<syn::Expr>,
    pub rate: Option<Rate>,
    /// The attribute, for the span of a constant that fails to evaluate.
    pub span: Option<proc_macro2::Span>,
}

#[derive(Clone)]
pub(crate) enum Rate {
    Exempt,
    /// A `kiln::builtin::Quota`.
    Quota(Box<syn::Expr>),
}

impl Limits {
    pub(crate) fn is_empty(&self) -> bool {
        self.body.is_none() && self.rate.is_none()
    }

    /// These limits, with `outer`'s (a scope's) where these set none.
    fn inherit(&mut self, outer: &Limits) {
        if self.body.is_none() {
            self.body.clone_from(&outer.body);
        }
        if self.rate.is_none() {
            self.rate.clone_from(&outer.rate);
        }
        if self.span.is_none() {
            self.span = outer.span;
        }
    }
}

/// The `#[..]` attributes before a route or scope: only `#[limit(..)]`.
fn limits(input: ParseStream, cx: &Ctxt) -> syn::Result<Limits> {
    let mut out = Limits::default();
    for attr in input.call(syn::Attribute::parse_outer)? {
        if !attr.path().is_ident("limit") {
            cx.error_spanned(
                attr.path(),
                "unknown route attribute; expected `#[limit(body = <bytes>, rate = <Quota> | exempt)]`",
            );
            continue;
        }
        out.span = Some(
            attr.path()
                .get_ident()
                .map_or_else(proc_macro2::Span::call_site, Ident::span),
        );
        attr.parse_args_with(|args: ParseStream| {
            while !args.is_empty() {
                let key: Ident = args.parse()?;
                args.parse::<Token![=]>()?;
                let value: syn::Expr = args.parse()?;
                match key.to_string().as_str() {
                    "body" if out.body.is_some() => cx.error_spanned(&key, "duplicate `body` limit"),
                    "body" => out.body = Some(value),
                    "rate" if out.rate.is_some() => cx.error_spanned(&key, "duplicate `rate` limit"),
                    "rate" => {
                        let exempt = matches!(&value, syn::Expr::Path(p) if p.path.is_ident("exempt"));
                        out.rate = Some(if exempt {
                            Rate::Exempt
                        } else {
                            Rate::Quota(Box::new(value))
                        });
                    }
                    _ => cx.error_spanned(
                        &key,
                        format!("unknown limit `{key}`; expected `body = <bytes>` or `rate = <Quota> | exempt`"),
                    ),
                }
                if !args.is_empty() {
                    args.parse::<Token![,]>()?;
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

impl ChainDef {
    /// Every distinct path whose descriptor `chain!` needs, in a fixed order.
    pub(crate) fn items(&self) -> Vec<&Path> {
        let mut out: Vec<&Path> = Vec::new();
        let all =
            self.singletons
                .iter()
                .filter_map(|s| s.ctor.as_ref())
                .chain(&self.request)
                .chain(&self.transient)
                .chain(self.middleware.iter().map(|l| &l.path))
                .chain(self.routes.iter().flat_map(|r| {
                    std::iter::once(&r.handler).chain(r.with.iter().map(|l| &l.path))
                }))
                .chain(&self.fallback);
        for p in all {
            if !out.iter().any(|o| same_path(o, p)) {
                out.push(p);
            }
        }
        out
    }
}

pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}

/// Parses `chain!`'s input; `None` when its syntax is broken (the error is in `cx`).
pub(crate) fn parse(input: TokenStream, cx: &Ctxt) -> Option<ChainDef> {
    match (|input: ParseStream| chain_def(input, cx)).parse2(input) {
        Ok(def) => Some(def),
        Err(e) => {
            cx.push(e);
            None
        }
    }
}

/// The app's name, read leniently from input whose syntax is broken, so a
/// placeholder app can still be emitted.
pub(crate) fn salvage_name(input: TokenStream) -> Option<(Visibility, Ident)> {
    let mut it = input.into_iter().peekable();
    let mut vis = TokenStream::new();
    while let Some(t) = it.next() {
        if let proc_macro2::TokenTree::Ident(i) = &t {
            if i == "struct" {
                // A keyword (`struct extern`, `struct self`) or `_` is no
                // name: a placeholder named by it would add an error of its own.
                let Some(proc_macro2::TokenTree::Ident(name)) = it.next() else {
                    return None;
                };
                syn::parse2::<Ident>(name.to_token_stream()).ok()?;
                return Some((syn::parse2(vis).unwrap_or(Visibility::Inherited), name));
            }
            if i == "pub" {
                vis = t.to_token_stream();
                if let Some(proc_macro2::TokenTree::Group(g)) = it.peek() {
                    vis.extend([proc_macro2::TokenTree::Group(g.clone())]);
                    it.next();
                }
            }
        }
    }
    None
}

fn listed(input: ParseStream, cx: &Ctxt) -> syn::Result<Listed> {
    let path: Path = input.parse()?;
    let mut priority = None;
    if input.peek(syn::token::Paren) {
        let inner;
        parenthesized!(inner in input);
        let key: Ident = inner.parse()?;
        inner.parse::<Token![=]>()?;
        let value: syn::Expr = inner.parse()?;
        if key == "priority" {
            match crate::attr::priority(&value) {
                Ok(v) => priority = Some(v),
                Err(e) => cx.push(e),
            }
        } else {
            cx.error_spanned(&key, "expected `priority = <integer>`");
        }
    }
    Ok(Listed { path, priority })
}

fn section<T>(
    input: ParseStream,
    mut f: impl FnMut(ParseStream) -> syn::Result<T>,
) -> syn::Result<Vec<T>> {
    let inner;
    braced!(inner in input);
    let mut out = Vec::new();
    while !inner.is_empty() {
        out.push(f(&inner)?);
        if !inner.is_empty() {
            inner.parse::<Token![,]>()?;
        }
    }
    Ok(out)
}

/// The `routes` section (also a scope's body): entries separated by `,`,
/// which may be left out after a scope's closing brace.
fn route_list(input: ParseStream, cx: &Ctxt) -> syn::Result<Vec<Route>> {
    let inner;
    braced!(inner in input);
    let mut out = Vec::new();
    while !inner.is_empty() {
        let (routes, scope) = routes(&inner, cx)?;
        out.extend(routes);
        if inner.is_empty() {
            break;
        }
        if scope {
            inner.parse::<Option<Token![,]>>()?;
        } else {
            inner.parse::<Token![,]>()?;
        }
    }
    Ok(out)
}

fn peek_word(input: ParseStream, word: &str) -> bool {
    input.peek(Ident) && input.fork().parse::<Ident>().is_ok_and(|i| i == word)
}

/// An optional `with [mw, ..]` list.
fn with_list(input: ParseStream, cx: &Ctxt) -> syn::Result<Vec<Listed>> {
    if !peek_word(input, "with") {
        return Ok(Vec::new());
    }
    input.parse::<Ident>()?;
    let inner;
    bracketed!(inner in input);
    let mut out = Vec::new();
    while !inner.is_empty() {
        out.push(listed(&inner, cx)?);
        if !inner.is_empty() {
            inner.parse::<Token![,]>()?;
        }
    }
    Ok(out)
}

/// One entry of `routes`: a route, or `scope ["/prefix"] [with [..]] { routes }`
/// flattened into routes (and whether it was a scope). A scope without a
/// prefix only shares middleware or limits.
fn routes(input: ParseStream, cx: &Ctxt) -> syn::Result<(Vec<Route>, bool)> {
    let limits = limits(input, cx)?;
    if !peek_word(input, "scope") {
        let mut route = route(input, cx)?;
        if route.method == "fallback" && !limits.is_empty() {
            cx.error_spanned(
                &route.method,
                "`#[limit]` on `fallback`: unmatched requests have no route to limit; declare it on the routes",
            );
        }
        route.limits = limits;
        return Ok((vec![route], false));
    }
    input.parse::<Ident>()?;
    let prefix = if input.peek(LitStr) {
        let prefix: LitStr = input.parse()?;
        let p = prefix.value();
        if !p.starts_with('/') || p.ends_with('/') {
            cx.error_spanned(
                &prefix,
                "a scope prefix must start with `/` and not end with `/`, like `\"/admin\"`",
            );
        }
        p
    } else {
        String::new()
    };
    let with = with_list(input, cx)?;
    let nested = route_list(input, cx)?;
    for r in nested.iter().filter(|r| r.method == "fallback") {
        cx.error_spanned(
            &r.method,
            "`fallback` answers every unmatched path, so it belongs in `routes` itself, not in a scope",
        );
    }
    let routes = nested
        .into_iter()
        .filter(|r| r.method != "fallback")
        .map(|mut r| {
            r.pattern = if r.pattern == "/" && !prefix.is_empty() {
                prefix.clone()
            } else {
                format!("{prefix}{}", r.pattern)
            };
            r.with.splice(0..0, with.iter().cloned());
            r.limits.inherit(&limits);
            r
        })
        .collect();
    Ok((routes, true))
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

fn route(input: ParseStream, cx: &Ctxt) -> syn::Result<Route> {
    let method: Ident = input.parse()?;
    if method == "fallback" && input.peek(Token![=>]) {
        // Taken out of the routes by `chain_def`.
        input.parse::<Token![=>]>()?;
        return Ok(Route {
            path: LitStr::new("", method.span()),
            method,
            pattern: String::new(),
            handler: input.parse()?,
            with: Vec::new(),
            limits: Limits::default(),
        });
    }
    if !METHODS.contains(&method.to_string().as_str()) {
        cx.error_spanned(
            &method,
            format!(
                "unknown method `{method}`; expected one of {}",
                METHODS.join(", ")
            ),
        );
    }
    let path: LitStr = input.parse()?;
    if !path.value().starts_with('/') {
        cx.error_spanned(&path, "a route path must start with `/`");
    }
    input.parse::<Token![=>]>()?;
    let handler: Path = input.parse()?;
    let with = with_list(input, cx)?;
    Ok(Route {
        method,
        pattern: path.value(),
        path,
        handler,
        with,
        limits: Limits::default(),
    })
}

fn chain_def(input: ParseStream, cx: &Ctxt) -> syn::Result<ChainDef> {
    let krate = if input.peek(Token![crate]) && input.peek2(Token![=]) {
        input.parse::<Token![crate]>()?;
        input.parse::<Token![=]>()?;
        let path: Path = input.parse()?;
        input.parse::<Token![;]>()?;
        Some(path)
    } else {
        None
    };
    let attrs = input.call(syn::Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    input.parse::<Token![struct]>()?;
    let name: Ident = input.parse()?;
    input.parse::<Token![;]>()?;
    let mut def = ChainDef {
        krate,
        attrs,
        vis,
        name,
        singletons: Vec::new(),
        request: Vec::new(),
        transient: Vec::new(),
        middleware: Vec::new(),
        routes: Vec::new(),
        stats: false,
        errors: None,
        fallback: None,
    };
    let mut seen: Vec<String> = Vec::new();
    while !input.is_empty() {
        let key: Ident = input.parse()?;
        let k = key.to_string();
        if seen.contains(&k) {
            cx.error_spanned(
                &key,
                format!("duplicate `{k}` section; merge the two into one"),
            );
        }
        match k.as_str() {
            "singletons" => def.singletons.extend(section(input, singleton)?),
            "request" => def.request.extend(section(input, Path::parse)?),
            "transient" => def.transient.extend(section(input, Path::parse)?),
            "middleware" => def.middleware.extend(section(input, |i| listed(i, cx))?),
            "routes" => {
                for r in route_list(input, cx)? {
                    if r.method != "fallback" {
                        def.routes.push(r);
                    } else if def.fallback.replace(r.handler).is_some() {
                        cx.error_spanned(&r.method, "a second `fallback`; keep one");
                    }
                }
            }
            "options" => options(input, &mut def, cx)?,
            _ => {
                cx.error_spanned(&key, format!("unknown section `{k}`; expected `singletons`, `request`, `transient`, `middleware`, `routes` or `options`"));
                let skipped;
                braced!(skipped in input);
                let _: TokenStream = skipped.parse()?;
            }
        }
        seen.push(k);
    }
    Ok(def)
}

fn singleton(s: ParseStream) -> syn::Result<Singleton> {
    let field: Ident = s.parse()?;
    s.parse::<Token![:]>()?;
    let ty: Type = s.parse()?;
    let ctor = if s.peek(Token![=]) {
        s.parse::<Token![=]>()?;
        Some(s.parse::<Path>()?)
    } else {
        None
    };
    Ok(Singleton { field, ty, ctor })
}

/// `options { stats, errors = render }`. Options, not cargo features:
/// features unify across the dependency graph, so one crate turning stats on
/// would turn them on for every app in the build.
fn options(input: ParseStream, def: &mut ChainDef, cx: &Ctxt) -> syn::Result<()> {
    let opts = section(input, |i| {
        let name: Ident = i.parse()?;
        let value = if i.peek(Token![=]) {
            i.parse::<Token![=]>()?;
            Some(i.parse::<Path>()?)
        } else {
            None
        };
        Ok((name, value))
    })?;
    for (opt, value) in opts {
        match (opt.to_string().as_str(), value) {
            ("stats", None) if def.stats => cx.error_spanned(&opt, "duplicate option `stats`"),
            ("stats", None) => def.stats = true,
            ("errors", Some(render)) => {
                if def.errors.replace(render).is_some() {
                    cx.error_spanned(&opt, "duplicate option `errors`");
                }
            }
            ("errors", None) => cx.error_spanned(
                &opt,
                "`errors` names the function that renders kiln's errors: `errors = render`, with `fn render(err: &kiln::Error) -> Response`",
            ),
            ("stats", Some(_)) => cx.error_spanned(&opt, "`stats` takes no value"),
            _ => cx.error_spanned(
                &opt,
                format!("unknown option `{opt}`; expected `stats` or `errors = render`"),
            ),
        }
    }
    Ok(())
}
