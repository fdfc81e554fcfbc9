//! The `chain!` input grammar.

use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Path, Token, Type, Visibility, braced, bracketed, parenthesized};

pub(crate) struct ChainDef {
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
    pub priority: Option<i64>,
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
}

impl ChainDef {
    /// Every distinct path whose descriptor `chain!` needs, in a fixed order.
    pub(crate) fn items(&self) -> Vec<Path> {
        let mut out: Vec<Path> = Vec::new();
        let all =
            self.singletons
                .iter()
                .filter_map(|s| s.ctor.as_ref())
                .chain(&self.request)
                .chain(&self.transient)
                .chain(self.middleware.iter().map(|l| &l.path))
                .chain(self.routes.iter().flat_map(|r| {
                    std::iter::once(&r.handler).chain(r.with.iter().map(|l| &l.path))
                }));
        for p in all {
            if !out.iter().any(|o| same_path(o, p)) {
                out.push(p.clone());
            }
        }
        out
    }
}

pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    a.to_token_stream().to_string() == b.to_token_stream().to_string()
}

impl Parse for Listed {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path: Path = input.parse()?;
        let mut priority = None;
        if input.peek(syn::token::Paren) {
            let inner;
            parenthesized!(inner in input);
            let key: Ident = inner.parse()?;
            if key != "priority" {
                return Err(syn::Error::new_spanned(
                    key,
                    "expected `priority = <integer>`",
                ));
            }
            inner.parse::<Token![=]>()?;
            let neg = inner.parse::<Option<Token![-]>>()?.is_some();
            let lit: LitInt = inner.parse()?;
            let v: i64 = lit.base10_parse()?;
            priority = Some(if neg { -v } else { v });
        }
        Ok(Listed { path, priority })
    }
}

fn section<T>(
    input: ParseStream,
    f: impl Fn(ParseStream) -> syn::Result<T>,
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

/// An optional `with [mw, ..]` list.
fn parse_with(input: ParseStream) -> syn::Result<Vec<Listed>> {
    if input.peek(Ident) && input.fork().parse::<Ident>()? == "with" {
        input.parse::<Ident>()?;
        let inner;
        bracketed!(inner in input);
        return Ok(inner
            .parse_terminated(Listed::parse, Token![,])?
            .into_iter()
            .collect());
    }
    Ok(Vec::new())
}

/// One entry of `routes`: a route, or `scope "/prefix" [with [..]] { routes }`
/// flattened into routes.
fn parse_routes(input: ParseStream) -> syn::Result<Vec<Route>> {
    if !(input.peek(Ident) && input.fork().parse::<Ident>()? == "scope") {
        return Ok(vec![input.parse()?]);
    }
    input.parse::<Ident>()?;
    let prefix: LitStr = input.parse()?;
    let p = prefix.value();
    if !p.starts_with('/') || p.ends_with('/') {
        return Err(syn::Error::new_spanned(
            &prefix,
            "a scope prefix must start with `/` and not end with `/`, like `\"/admin\"`",
        ));
    }
    let with = parse_with(input)?;
    let nested = section(input, parse_routes)?;
    Ok(nested
        .into_iter()
        .flatten()
        .map(|mut r| {
            r.pattern = if r.pattern == "/" {
                p.clone()
            } else {
                format!("{p}{}", r.pattern)
            };
            r.with.splice(0..0, with.iter().cloned());
            r
        })
        .collect())
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

impl Parse for Route {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let method: Ident = input.parse()?;
        if !METHODS.contains(&method.to_string().as_str()) {
            return Err(syn::Error::new_spanned(
                &method,
                format!(
                    "unknown method `{method}`; expected one of {}",
                    METHODS.join(", ")
                ),
            ));
        }
        let path: LitStr = input.parse()?;
        if !path.value().starts_with('/') {
            return Err(syn::Error::new_spanned(
                &path,
                "a route path must start with `/`",
            ));
        }
        input.parse::<Token![=>]>()?;
        let handler: Path = input.parse()?;
        let with = parse_with(input)?;
        Ok(Route {
            method,
            pattern: path.value(),
            path,
            handler,
            with,
        })
    }
}

impl Parse for ChainDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        input.parse::<Token![;]>()?;
        let mut def = ChainDef {
            attrs,
            vis,
            name,
            singletons: Vec::new(),
            request: Vec::new(),
            transient: Vec::new(),
            middleware: Vec::new(),
            routes: Vec::new(),
            stats: false,
        };
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let k = key.to_string();
            if seen.contains(&k) {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("duplicate `{k}` section"),
                ));
            }
            match k.as_str() {
                "singletons" => {
                    def.singletons = section(input, |s| {
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
                    })?;
                }
                "request" => def.request = section(input, Path::parse)?,
                "transient" => def.transient = section(input, Path::parse)?,
                "middleware" => def.middleware = section(input, Listed::parse)?,
                "routes" => {
                    def.routes = section(input, parse_routes)?
                        .into_iter()
                        .flatten()
                        .collect();
                }
                "options" => parse_options(input, &mut def)?,
                _ => {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                            "unknown section `{k}`; expected `singletons`, `request`, `transient`, `middleware`, `routes` or `options`"
                        ),
                    ));
                }
            }
            seen.push(k);
        }
        Ok(def)
    }
}

/// `options { stats }`. An option, not a cargo feature: features unify across
/// the dependency graph, so one crate turning stats on would turn them on for
/// every app in the build.
fn parse_options(input: ParseStream, def: &mut ChainDef) -> syn::Result<()> {
    for opt in section(input, Ident::parse)? {
        if opt != "stats" {
            return Err(syn::Error::new_spanned(
                &opt,
                format!("unknown option `{opt}`; expected `stats`"),
            ));
        }
        if def.stats {
            return Err(syn::Error::new_spanned(&opt, "duplicate option `stats`"));
        }
        def.stats = true;
    }
    Ok(())
}
