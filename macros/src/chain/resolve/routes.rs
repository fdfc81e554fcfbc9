//! The route table: patterns checked at compile time, grouped by path.
//!
//! Literal paths are matched by a generated `match`; patterns with
//! parameters go through the app's `matchit` router. Either way the result
//! is a path index, and methods are tested per index, so a known path with
//! the wrong method is a 405 with `Allow`.

use crate::chain::model::PathEntry;
use crate::chain::parse::ChainDef;
use crate::ctxt::Ctxt;

/// The most parameters one pattern may have (`kiln::MAX_PARAMS`).
const MAX_PARAMS: usize = 8;

/// The parameter names of a pattern, or why it is malformed.
pub(crate) fn params_of(pattern: &str) -> Result<Vec<String>, String> {
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
pub(crate) fn table(def: &ChainDef, cx: &Ctxt) -> Vec<PathEntry> {
    let mut table: Vec<PathEntry> = Vec::new();
    for (i, r) in def.routes.iter().enumerate() {
        let params = match params_of(&r.pattern) {
            Ok(p) => p,
            Err(msg) => {
                cx.error(r.path.span(), msg);
                continue;
            }
        };
        if let Some(e) = table.iter_mut().find(|e| e.pattern == r.pattern) {
            if e.routes.iter().any(|&j| def.routes[j].method == r.method) {
                cx.error(
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
            cx.error(
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

/// Scalars that `Path<T>` reads from exactly one parameter. A struct or a
/// type of the user's may read any number, and is not checked here.
const SCALARS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "String", "Uuid",
];

/// How many parameters a `Path<T>` reads, when the type says so: a tuple's
/// arity, one for a scalar.
pub(crate) fn path_arity(ty: &syn::Type) -> Option<usize> {
    match ty {
        syn::Type::Tuple(t) => Some(t.elems.len()),
        syn::Type::Paren(p) => path_arity(&p.elem),
        syn::Type::Group(g) => path_arity(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            SCALARS.iter().any(|s| last.ident == s).then_some(1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{params_of, path_arity, shape};

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

    #[test]
    fn arities() {
        assert_eq!(path_arity(&syn::parse_quote!((u32, String))), Some(2));
        assert_eq!(path_arity(&syn::parse_quote!(u32)), Some(1));
        assert_eq!(path_arity(&syn::parse_quote!(Params)), None);
    }
}
