//! The route table: pattern checks at compile time and the dispatch code.
//!
//! Literal paths are matched by a generated `match` on the path string; only
//! patterns with parameters go through the app's `matchit` router. Either way
//! the result is a path index, and methods are tested per index, so a known
//! path with the wrong method is a 405 with `Allow`.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand::Errors;
use super::parse::{ChainDef, Route};

/// The most parameters one pattern may have (`kiln::MAX_PARAMS`).
const MAX_PARAMS: usize = 8;

/// One distinct path pattern and the routes (by index) declared on it.
pub(crate) struct PathEntry {
    pub pattern: String,
    /// Parameter names in pattern order; empty for a literal path.
    pub params: Vec<String>,
    pub routes: Vec<usize>,
}

/// The parameter names of a pattern, or why it is malformed.
fn params_of(pattern: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let segments: Vec<&str> = pattern.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        if !seg.contains(['{', '}']) {
            continue;
        }
        let inner = seg
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .filter(|s| !s.contains(['{', '}']))
            .ok_or_else(|| {
                format!("malformed segment `{seg}`: a parameter is a whole segment, `{{name}}` or `{{*rest}}`")
            })?;
        let (name, catch_all) = match inner.strip_prefix('*') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if catch_all && i + 1 != segments.len() {
            return Err(format!(
                "`{{*{name}}}` matches the rest of the path, so it must be the last segment"
            ));
        }
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!(
                "parameter name `{name}` must be a non-empty identifier"
            ));
        }
        if names.iter().any(|n| n == name) {
            return Err(format!("parameter `{name}` appears twice in this pattern"));
        }
        names.push(name.to_owned());
    }
    if names.len() > MAX_PARAMS {
        return Err(format!(
            "a pattern may have at most {MAX_PARAMS} parameters, this one has {}",
            names.len()
        ));
    }
    Ok(names)
}

/// The pattern with parameter names erased: two patterns with the same shape
/// match the same paths.
fn shape(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg.strip_prefix("{*") {
            Some(_) => "{*}",
            None if seg.starts_with('{') => "{}",
            None => seg,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Groups routes by pattern and reports malformed, duplicate and conflicting ones.
pub(crate) fn table(def: &ChainDef, errs: &mut Errors) -> Vec<PathEntry> {
    let mut table: Vec<PathEntry> = Vec::new();
    for (i, r) in def.routes.iter().enumerate() {
        let params = match params_of(&r.pattern) {
            Ok(p) => p,
            Err(msg) => {
                errs.push(r.path.span(), msg);
                continue;
            }
        };
        if let Some(e) = table.iter_mut().find(|e| e.pattern == r.pattern) {
            if e.routes.iter().any(|&j| def.routes[j].method == r.method) {
                errs.push(
                    r.path.span(),
                    format!(
                        "duplicate route `{} {}`; remove one of them",
                        r.method, r.pattern
                    ),
                );
            }
            e.routes.push(i);
            continue;
        }
        if let Some(other) = table
            .iter()
            .find(|e| shape(&e.pattern) == shape(&r.pattern))
        {
            errs.push(
                r.path.span(),
                format!(
                    "route `{}` matches the same paths as `{}`; use the same parameter names to add a method to it",
                    r.pattern, other.pattern
                ),
            );
            continue;
        }
        table.push(PathEntry {
            pattern: r.pattern.clone(),
            params,
            routes: vec![i],
        });
    }
    table
}

/// Whether the app needs a router (some pattern has parameters).
pub(crate) fn needs_router(table: &[PathEntry]) -> bool {
    table.iter().any(|e| !e.params.is_empty())
}

/// The expression building the router in `new`.
pub(crate) fn router_init(table: &[PathEntry]) -> TokenStream {
    let entries = table
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.params.is_empty())
        .map(|(i, e)| {
            let pattern = &e.pattern;
            let index = u16::try_from(i).unwrap_or(u16::MAX);
            let names = &e.params;
            quote!((#pattern, #index, &[#(#names),*]))
        });
    quote!(::kiln::__private::Router::new(&[#(#entries),*]))
}

/// The statements that match the path and dispatch on the method; each
/// route's pipeline (`bodies`, by route index) is inlined into its arm, so a
/// request is one future. Literal paths are arms of a `match` on the path and
/// never touch path parameters; patterns go through the router, whose
/// parameters live only inside their arm.
pub(crate) fn dispatch(
    def: &ChainDef,
    table: &[PathEntry],
    bodies: &[TokenStream],
    fallback: &TokenStream,
) -> TokenStream {
    let arm = |e: &PathEntry, params: &TokenStream| {
        let routes: Vec<&Route> = e.routes.iter().map(|&r| &def.routes[r]).collect();
        let has = |m: &str| routes.iter().any(|r| r.method == m);
        let implicit_head = has("GET") && !has("HEAD");
        let mut allow: Vec<String> = routes.iter().map(|r| r.method.to_string()).collect();
        if implicit_head {
            allow.push("HEAD".into());
        }
        let allow = allow.join(", ");
        let pattern = &e.pattern;
        let tests = e.routes.iter().map(|&r| {
            let m = &def.routes[r].method;
            let body = &bodies[r];
            let head = (implicit_head && m == "GET")
                .then(|| quote!(|| *__kiln_req.method() == ::kiln::__private::Method::HEAD));
            quote!(if *__kiln_req.method() == ::kiln::__private::Method::#m #head {
                let __kiln_cx = ::kiln::__private::RequestCx::new(
                    __kiln_info, #params, ::core::option::Option::Some(#pattern));
                return #body;
            })
        });
        quote!({ #(#tests)* #allow })
    };
    let empty = quote!(&::kiln::__private::PathParams::EMPTY);
    let literal = table.iter().filter(|e| e.params.is_empty()).map(|e| {
        let p = &e.pattern;
        let body = arm(e, &empty);
        quote!(#p => #body,)
    });
    let other = if needs_router(table) {
        let arms = table
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.params.is_empty())
            .map(|(i, e)| {
                let i = u16::try_from(i).unwrap_or(u16::MAX);
                let body = arm(e, &quote!(&__kiln_params));
                quote!(#i => #body,)
            });
        quote!(__kiln_p => match self.__kiln_router.find(__kiln_p) {
            ::core::option::Option::Some((__kiln_pi, __kiln_params)) => match __kiln_pi {
                #(#arms)*
                _ => "",
            },
            ::core::option::Option::None => "",
        })
    } else {
        quote!(_ => "")
    };
    quote! {
        let __kiln_allow: &'static str = match __kiln_req.uri().path() {
            #(#literal)*
            #other
        };
        let __kiln_cx = ::kiln::__private::RequestCx::new(
            __kiln_info, #empty, ::core::option::Option::None);
        #fallback
    }
}

#[cfg(test)]
mod tests {
    use super::{params_of, shape};

    #[test]
    fn patterns() {
        assert_eq!(
            params_of("/users/{id}/posts/{post}").unwrap(),
            ["id", "post"]
        );
        assert_eq!(params_of("/files/{*rest}").unwrap(), ["rest"]);
        assert!(params_of("/files/{*rest}/x").is_err());
        assert!(params_of("/a/{id}/{id}").is_err());
        assert!(params_of("/a/x{id}").is_err());
        assert!(params_of("/a/{}").is_err());
        assert_eq!(shape("/u/{id}/{*r}"), shape("/u/{name}/{*x}"));
    }
}
