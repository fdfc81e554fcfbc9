//! The types kiln gives a meaning of its own, named once.
//!
//! A parameter of one of these types is not looked up among the chain's
//! providers: it is the request, the response slot, the arena, the rest of
//! the chain or the app's statistics. A type counts as kiln's when it is
//! written with its bare name (as the prelude imports it) or under a path
//! rooted at `kiln` (or `bumpalo` for the arena). Any other path
//! (`model::Request`) is the user's own type and is resolved like any other;
//! a bare name that is the user's own type meets kiln's in generated code
//! that checks they are one type (`kiln::__private::lend`), an error that
//! names both.

use proc_macro2::TokenStream;
use quote::ToTokens;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Special {
    /// `&Request` / `&mut Request`: the request being served.
    Request,
    /// `&mut Response`: the response slot, in post hooks.
    Response,
    /// `&Bump`: the connection's arena, in sync consumers.
    Arena,
    /// `Next<'_>`: the rest of the chain, in `wrap` middleware.
    Next,
    /// `&Stats`: the app's statistics, with `options { stats }`.
    Stats,
}

/// Each special type, its name, and the crates it may be written under.
const TABLE: &[(Special, &str, &[&str])] = &[
    (Special::Request, "Request", &["kiln"]),
    (Special::Response, "Response", &["kiln"]),
    (Special::Arena, "Bump", &["kiln", "bumpalo"]),
    (Special::Next, "Next", &["kiln"]),
    (Special::Stats, "Stats", &["kiln"]),
];

/// The special type a parameter type names, if it is one of kiln's.
pub(crate) fn special(ty: &TokenStream) -> Option<Special> {
    let path = type_path(ty)?;
    let last = path.segments.last()?;
    let (kind, _, roots) = TABLE.iter().find(|e| last.ident == e.1)?;
    // Only `Next` is generic (`Next<'_>`); `Request<B>` is someone else's.
    if *kind != Special::Next && !last.arguments.is_none() {
        return None;
    }
    let bare = path.segments.len() == 1 && path.leading_colon.is_none();
    let rooted = path.segments.len() > 1 && roots.iter().any(|r| path.segments[0].ident == r);
    (bare || rooted).then_some(*kind)
}

/// The `Path` extractor (`Path<T>`, `kiln::Path<T>`): its `T`.
pub(crate) fn path_extractor(ty: &TokenStream) -> Option<syn::Type> {
    let path = type_path(ty)?;
    let last = path.segments.last()?;
    let bare = path.segments.len() == 1;
    let rooted = path.segments.len() > 1 && path.segments[0].ident == "kiln";
    if last.ident != "Path" || !(bare || rooted) {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The `Valid` extractor (`Valid<E>`, `kiln::validate::Valid<E>`), whose
/// validation context comes from the app's singletons.
pub(crate) fn is_valid_extractor(ty: &TokenStream) -> bool {
    type_path(ty).is_some_and(|path| {
        let bare = path.segments.len() == 1;
        let rooted = path.segments.len() > 1 && path.segments[0].ident == "kiln";
        path.segments.last().is_some_and(|l| l.ident == "Valid") && (bare || rooted)
    })
}

fn type_path(ty: &TokenStream) -> Option<syn::Path> {
    match syn::parse2::<syn::Type>(ty.clone()).ok()? {
        syn::Type::Path(p) if p.qself.is_none() => Some(p.path),
        syn::Type::Group(g) => type_path(&g.elem.to_token_stream()),
        _ => None,
    }
}

/// The dependency key of a type: its last path segment with generic
/// arguments, whitespace removed (`crate::auth::Claims` and `Claims` are one
/// key). Two different types with one name meet in generated code that
/// checks they are the same type (`kiln::__private::SameType`).
pub(crate) fn key(ty: &TokenStream) -> String {
    let s = match type_path(ty) {
        Some(p) => p
            .segments
            .last()
            .map_or_else(|| ty.to_string(), |s| s.to_token_stream().to_string()),
        None => ty.to_string(),
    };
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A key as part of an identifier: `Vec<u8>` → `vec_u8`, `RequestId` → `request_id`.
pub(crate) fn snake(key: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
            prev_lower = false;
        }
    }
    let trimmed = out.trim_end_matches('_');
    if trimmed.is_empty() {
        "value".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A type as a person writes it: `Path<u32>`, not `Path < u32 >`.
pub(crate) fn pretty(ts: &TokenStream) -> String {
    let s = ts.to_string();
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let next = chars.get(i + 1).copied();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            // Keep the space between two words (`dyn Trait`), after `,` and
            // around `+`.
            if (word(prev) && word(next))
                || prev == Some(',')
                || prev == Some('+')
                || next == Some('+')
            {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{Special, key, path_extractor, snake, special};

    #[test]
    fn kiln_types_by_bare_name_or_kiln_path_only() {
        assert_eq!(special(&quote!(Request)), Some(Special::Request));
        assert_eq!(special(&quote!(kiln::Response)), Some(Special::Response));
        assert_eq!(special(&quote!(::kiln::Request)), Some(Special::Request));
        assert_eq!(special(&quote!(bumpalo::Bump)), Some(Special::Arena));
        assert_eq!(special(&quote!(Next<'_>)), Some(Special::Next));
        assert_eq!(special(&quote!(model::Request)), None);
        assert_eq!(special(&quote!(crate::api::Response)), None);
        assert_eq!(special(&quote!(Request<Body>)), None);
        assert_eq!(special(&quote!(Claims)), None);
    }

    #[test]
    fn keys_and_names() {
        assert_eq!(key(&quote!(crate::auth::Claims)), "Claims");
        assert_eq!(key(&quote!(Vec<u8>)), "Vec<u8>");
        assert_eq!(snake("RequestId"), "request_id");
        assert_eq!(snake("Vec<u8>"), "vec_u8");
        assert_eq!(snake("JwtClaims<MyClaims>"), "jwt_claims_my_claims");
        assert!(path_extractor(&quote!(Path<(u32, String)>)).is_some());
        assert!(path_extractor(&quote!(std::path::Path)).is_none());
    }

    #[test]
    fn pretty_types() {
        assert_eq!(
            super::pretty(&quote!(Path<(u32, String)>)),
            "Path<(u32, String)>"
        );
        assert_eq!(
            super::pretty(&quote!(kiln::Json<Vec<u8>>)),
            "kiln::Json<Vec<u8>>"
        );
        assert_eq!(
            super::pretty(&quote!(Box<dyn Fn() + Send>)),
            "Box<dyn Fn() + Send>"
        );
    }
}
