//! `macros`: the parsers and generators of `#[middleware]`, `#[handler]`,
//! `#[provider]` and `chain!`, run on fuzzed source text without rustc.
//!
//! Input: UTF-8 text. Read as a Rust file, each item carrying one of our
//! attributes is expanded as rustc would (the attribute's arguments and the
//! item without it); each `chain!` is expanded, and its continuation
//! followed through the descriptors the file's items produced, into
//! `__chain_impl!`. Text that is not a file is fed as tokens to `chain!`,
//! `__chain_impl!` and each attribute's arguments. Invariants: no expansion
//! panics (rustc would report "proc macro panicked"); every expansion is
//! valid Rust items (the user's errors come out as `compile_error!`, never
//! as tokens that fail to parse).

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::desc::Kind;
use crate::{attr, chain};

/// The stack the expansion runs on. `proc_macro2` and `syn` recurse once
/// per level of nesting (brackets, generics, unary operators), and deep
/// input would overflow a default thread stack in those crates: rustc runs
/// proc macros with a large stack too.
const STACK: usize = 256 << 20;

/// See the module docs.
pub fn macros(data: &[u8]) {
    std::thread::scope(|s| {
        let run = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, || expand(data))
            .expect("a thread for the expansion");
        if let Err(panic) = run.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

fn expand(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = syn::parse_str::<syn::File>(src) {
        expand_file(&file);
    } else if let Ok(tokens) = src.parse::<TokenStream>() {
        must_parse("chain!", &tokens, &chain::start(tokens.clone()));
        must_parse(
            "__chain_impl!",
            &tokens,
            &chain::finish(quote!([] [] { #tokens })),
        );
        let item = quote!(
            fn item(req: &Request) -> Result<(), StatusCode> {
                Ok(())
            }
        );
        for kind in [Kind::Middleware, Kind::Handler, Kind::Provider] {
            must_parse(
                kind.attr(),
                &tokens,
                &attr::expand(kind, tokens.clone(), item.clone()),
            );
        }
    }
}

fn kind_of(a: &syn::Attribute) -> Option<Kind> {
    match a.path().segments.last()?.ident.to_string().as_str() {
        "middleware" => Some(Kind::Middleware),
        "handler" => Some(Kind::Handler),
        "provider" => Some(Kind::Provider),
        _ => None,
    }
}

fn expand_file(file: &syn::File) {
    // Each item's descriptor entry, by item name.
    let mut entries: Vec<(String, TokenStream)> = Vec::new();
    for item in &file.items {
        let (attrs, name) = match item {
            syn::Item::Fn(f) => (&f.attrs, f.sig.ident.to_string()),
            syn::Item::Impl(i) => {
                let name = match &*i.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                (
                    &i.attrs,
                    name.unwrap_or_else(|| i.self_ty.to_token_stream().to_string()),
                )
            }
            _ => continue,
        };
        for (at, a) in attrs.iter().enumerate() {
            let Some(kind) = kind_of(a) else { continue };
            let args = match &a.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                syn::Meta::Path(_) => TokenStream::new(),
                // `#[handler = ..]` never reaches an attribute macro.
                syn::Meta::NameValue(_) => continue,
            };
            let without = strip_attr(item, at);
            let out = attr::expand(kind, args.clone(), without.clone());
            let input = format!("#[{}({args})] {without}", kind.attr());
            must_parse(kind.attr(), &input, &out);
            if let Some(entry) = descriptor_entry(&out) {
                entries.push((name.clone(), entry));
            }
        }
    }
    for item in &file.items {
        let syn::Item::Macro(m) = item else { continue };
        if !m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "chain")
        {
            continue;
        }
        let body = m.mac.tokens.clone();
        let started = chain::start(body.clone());
        must_parse("chain!", &body, &started);
        let Some(calls) = continuation(&started) else {
            continue;
        };
        // Every listed item's descriptor, in order, as the descriptor macros append them.
        let mut acc = TokenStream::new();
        let found = calls.iter().all(|name| {
            entries
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, e)| acc.extend(e.clone()))
                .is_some()
        });
        if found {
            let finished = chain::finish(quote!([] [#acc] { #body }));
            must_parse("__chain_impl!", &body, &finished);
        }
    }
}

/// The item without its attribute number `at`, as the attribute macro receives it.
fn strip_attr(item: &syn::Item, at: usize) -> TokenStream {
    let mut item = item.clone();
    match &mut item {
        syn::Item::Fn(f) => {
            f.attrs.remove(at);
        }
        syn::Item::Impl(i) => {
            i.attrs.remove(at);
        }
        _ => {}
    }
    item.into_token_stream()
}

/// The entry a descriptor macro appends: in `macro_rules! m { (..) => {
/// $($head)*! { [..] [ $($acc)* ENTRY ] .. }; .. }`, the last token of the
/// second bracket group of the first arm's call.
fn descriptor_entry(out: &TokenStream) -> Option<TokenStream> {
    let tokens: Vec<TokenTree> = out.clone().into_iter().collect();
    let at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "macro_rules"))?;
    let TokenTree::Group(body) = tokens.get(at + 3)? else {
        return None;
    };
    let expansion = body.stream().into_iter().find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g),
        _ => None,
    })?;
    let call = expansion.stream().into_iter().find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g),
        _ => None,
    })?;
    let acc = call
        .stream()
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => Some(g),
            _ => None,
        })
        .nth(1)?;
    acc.stream().into_iter().last().map(TokenStream::from)
}

/// The names of the items `chain!`'s expansion calls, in order, without the
/// final `__chain_impl`: the first macro called and the parenthesized paths.
fn continuation(out: &TokenStream) -> Option<Vec<String>> {
    let file: syn::File = syn::parse2(out.clone()).ok()?;
    let syn::Item::Macro(call) = file.items.last()? else {
        return None;
    };
    let Some(TokenTree::Group(list)) = call.mac.tokens.clone().into_iter().next() else {
        return None;
    };
    if list.delimiter() != Delimiter::Bracket {
        return None;
    }
    let last_name = |p: &syn::Path| p.segments.last().map(|s| s.ident.to_string());
    let mut names = vec![last_name(&call.mac.path)?];
    for t in list.stream() {
        let TokenTree::Group(g) = t else { return None };
        names.push(last_name(&syn::parse2::<syn::Path>(g.stream()).ok()?)?);
    }
    // The last call is `__chain_impl!` itself.
    (names.pop()? == "chain_impl").then_some(names)
}

/// An expansion must be valid items; panics with the input otherwise.
fn must_parse(what: &str, input: &impl std::fmt::Display, out: &TokenStream) {
    if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
        panic!(
            "`{what}` expanded to tokens that are not items ({e}):\ninput: {input}\noutput: {out}"
        );
    }
}
