//! The descriptor's wire format: one braced group of tokens.
//!
//! ```text
//! entry  := { failed "name" }
//!         | { kind "name" ident priority phase asyncness output [ param* ] hook recv post finish }
//! kind   := mw | handler | provider
//! phase  := pre | post | both | wrap | none
//! asyncness := async | sync
//! output := unit | value ( Type ) | result ( Type )
//! param  := ( ref ( Type ) ) | ( mut ( Type ) ) | ( val ( Type ) )
//! hook   := fn | method ident          (a hook of an `impl` middleware)
//! recv   := none | cfg ref | cfg mut | state ref | state mut
//! post   := none | entry               (the post hook of a `both` middleware)
//! finish := finish | keep              (`#[provider(finish)]`, or not)
//! ```
//!
//! Parsing rejects anything else: a descriptor written by another version
//! of the attribute is an error, never a silent default.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{ToTokens, TokenStreamExt, quote};
use syn::parse::{Parse, ParseStream};
use syn::{LitInt, LitStr, Token, braced, bracketed, parenthesized};

use super::{Desc, Entry, Kind, Mode, Output, Param, Phase, Recv};

fn word(input: ParseStream, allowed: &[&str]) -> syn::Result<String> {
    // `fn` is a keyword; everything else is a plain identifier.
    if input.peek(Token![fn]) && allowed.contains(&"fn") {
        input.parse::<Token![fn]>()?;
        return Ok("fn".to_owned());
    }
    if input.peek(Token![async]) && allowed.contains(&"async") {
        input.parse::<Token![async]>()?;
        return Ok("async".to_owned());
    }
    if input.peek(Token![mut]) && allowed.contains(&"mut") {
        input.parse::<Token![mut]>()?;
        return Ok("mut".to_owned());
    }
    if input.peek(Token![ref]) && allowed.contains(&"ref") {
        input.parse::<Token![ref]>()?;
        return Ok("ref".to_owned());
    }
    let id: Ident = input.parse()?;
    let s = id.to_string();
    if allowed.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(syn::Error::new(
            id.span(),
            format!(
                "kiln descriptor: unexpected `{s}`, expected one of {}; kiln-macros and kiln versions differ?",
                allowed.join(", ")
            ),
        ))
    }
}

fn ty_group(input: ParseStream) -> syn::Result<TokenStream> {
    let inner;
    parenthesized!(inner in input);
    inner.parse()
}

fn mode(s: &str) -> Mode {
    match s {
        "ref" => Mode::Ref,
        "mut" => Mode::Mut,
        _ => Mode::Val,
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let body;
        braced!(body in input);
        let kind = word(&body, &["failed", "mw", "handler", "provider"])?;
        let name: LitStr = body.parse()?;
        if kind == "failed" {
            return Ok(Entry::Failed { name: name.value() });
        }
        let ident: Ident = body.parse()?;
        let desc = parse_desc(&body, &kind, name.value(), ident)?;
        if !body.is_empty() {
            return Err(body.error("kiln descriptor: unexpected tokens at the end"));
        }
        Ok(Entry::Item(desc))
    }
}

fn parse_desc(input: ParseStream, kind: &str, name: String, ident: Ident) -> syn::Result<Desc> {
    let neg = input.parse::<Option<Token![-]>>()?.is_some();
    let lit: LitInt = input.parse()?;
    let magnitude: i64 = lit.base10_parse()?;
    let priority = i32::try_from(if neg { -magnitude } else { magnitude })
        .map_err(|_| syn::Error::new(lit.span(), "kiln descriptor: priority out of range"))?;
    let phase = match word(input, &["pre", "post", "both", "wrap", "none"])?.as_str() {
        "pre" => Phase::Pre,
        "post" => Phase::Post,
        "both" => Phase::Both,
        "wrap" => Phase::Wrap,
        _ => Phase::None,
    };
    let is_async = word(input, &["async", "sync"])? == "async";
    let output = match word(input, &["unit", "value", "result"])?.as_str() {
        "unit" => Output::Unit,
        "value" => Output::Value(ty_group(input)?),
        _ => Output::Result(ty_group(input)?),
    };
    let param_list;
    bracketed!(param_list in input);
    let mut params = Vec::new();
    while !param_list.is_empty() {
        let p;
        parenthesized!(p in param_list);
        let m = mode(&word(&p, &["ref", "mut", "val"])?);
        params.push(Param {
            mode: m,
            ty: ty_group(&p)?,
        });
        if !p.is_empty() {
            return Err(p.error("kiln descriptor: unexpected tokens in a parameter"));
        }
    }
    let method = match word(input, &["fn", "method"])?.as_str() {
        "method" => Some(input.parse::<Ident>()?.to_string()),
        _ => None,
    };
    let recv = match word(input, &["none", "cfg", "state"])?.as_str() {
        "cfg" => Recv::Config(mode(&word(input, &["ref", "mut"])?)),
        "state" => Recv::State(mode(&word(input, &["ref", "mut"])?)),
        _ => Recv::None,
    };
    let post = if input.peek(syn::token::Brace) {
        match input.parse::<Entry>()? {
            Entry::Item(d) => Some(Box::new(d)),
            Entry::Failed { .. } => {
                return Err(input.error("kiln descriptor: a post hook cannot be `failed`"));
            }
        }
    } else {
        word(input, &["none"])?;
        None
    };
    let finish = word(input, &["finish", "keep"])? == "finish";
    Ok(Desc {
        kind: match kind {
            "mw" => Kind::Middleware,
            "handler" => Kind::Handler,
            _ => Kind::Provider,
        },
        name,
        ident,
        priority,
        phase,
        is_async,
        output,
        params,
        method,
        recv,
        post,
        finish,
    })
}

fn ident(s: &str) -> Ident {
    Ident::new(s, proc_macro2::Span::call_site())
}

fn mode_tokens(m: Mode) -> TokenStream {
    match m {
        Mode::Ref => quote!(ref),
        Mode::Mut => quote!(mut),
        Mode::Val => quote!(val),
    }
}

impl ToTokens for Entry {
    fn to_tokens(&self, out: &mut TokenStream) {
        match self {
            Entry::Failed { name } => out.append_all(quote!({ failed #name })),
            Entry::Item(d) => d.to_tokens(out),
        }
    }
}

impl ToTokens for Desc {
    fn to_tokens(&self, out: &mut TokenStream) {
        let kind = ident(match self.kind {
            Kind::Middleware => "mw",
            Kind::Handler => "handler",
            Kind::Provider => "provider",
        });
        let name = &self.name;
        let item = &self.ident;
        let prio = Literal::i32_unsuffixed(self.priority);
        let phase = ident(match self.phase {
            Phase::Pre => "pre",
            Phase::Post => "post",
            Phase::Both => "both",
            Phase::Wrap => "wrap",
            Phase::None => "none",
        });
        let asy = if self.is_async {
            quote!(async)
        } else {
            quote!(sync)
        };
        let output = match &self.output {
            Output::Unit => quote!(unit),
            Output::Value(t) => quote!(value (#t)),
            Output::Result(t) => quote!(result (#t)),
        };
        let params = self.params.iter().map(|p| {
            let (m, ty) = (mode_tokens(p.mode), &p.ty);
            quote!((#m (#ty)))
        });
        let hook = match &self.method {
            Some(m) => {
                let m = ident(m);
                quote!(method #m)
            }
            None => quote!(fn),
        };
        let recv = match self.recv {
            Recv::None => quote!(none),
            Recv::Config(m) => {
                let m = mode_tokens(m);
                quote!(cfg #m)
            }
            Recv::State(m) => {
                let m = mode_tokens(m);
                quote!(state #m)
            }
        };
        let post = match &self.post {
            Some(p) => p.to_token_stream(),
            None => quote!(none),
        };
        let finish = ident(if self.finish { "finish" } else { "keep" });
        out.append_all(quote!({ #kind #name #item #prio #phase #asy #output [ #(#params)* ] #hook #recv #post #finish }));
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::super::{Desc, Entry, Kind, Mode, Output, Param, Phase, Recv};

    fn id(s: &str) -> proc_macro2::Ident {
        proc_macro2::Ident::new(s, proc_macro2::Span::call_site())
    }

    fn sample() -> Desc {
        Desc {
            kind: Kind::Middleware,
            name: "timer".into(),
            ident: id("Timer"),
            priority: -2_147_483_648,
            phase: Phase::Both,
            is_async: true,
            output: Output::Result(quote!(Self)),
            params: vec![
                Param {
                    mode: Mode::Ref,
                    ty: quote!(Request),
                },
                Param {
                    mode: Mode::Mut,
                    ty: quote!(crate::db::Tx<'static>),
                },
                Param {
                    mode: Mode::Val,
                    ty: quote!(Path<(u32, String)>),
                },
            ],
            method: Some("pre".into()),
            recv: Recv::Config(Mode::Ref),
            finish: false,
            post: Some(Box::new(Desc {
                kind: Kind::Middleware,
                name: "timer".into(),
                ident: id("Timer"),
                priority: -2_147_483_648,
                phase: Phase::Post,
                is_async: false,
                output: Output::Unit,
                params: vec![Param {
                    mode: Mode::Mut,
                    ty: quote!(Response),
                }],
                method: Some("post".into()),
                recv: Recv::State(Mode::Mut),
                post: None,
                finish: false,
            })),
        }
    }

    #[test]
    fn round_trip() {
        for entry in [
            Entry::Item(sample()),
            Entry::Failed {
                name: "broken".into(),
            },
            Entry::Item(Desc {
                kind: Kind::Handler,
                name: "me".into(),
                ident: id("me"),
                priority: 0,
                phase: Phase::None,
                is_async: false,
                output: Output::Value(quote!(String)),
                params: vec![],
                method: None,
                recv: Recv::None,
                post: None,
                finish: true,
            }),
        ] {
            let tokens = entry.to_token_stream();
            let back: Entry = syn::parse2(tokens.clone()).expect("parses");
            assert_eq!(back.to_token_stream().to_string(), tokens.to_string());
        }
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        for bad in [
            quote!({ mw "x" x 0 sideways sync unit [] fn none none keep }),
            quote!({ mw "x" x 0 pre sync unit [] fn none none keep extra }),
            quote!({ gadget "x" }),
            quote!({ mw "x" x 0 pre sync unit [] fn none none }),
            quote!({ mw "x" x 0 pre sync unit [] fn none none done }),
            quote!({ mw "x" x 99999999999 pre sync unit [] fn none none keep }),
            quote!({ mw "x" x 0 pre sync unit [(own (u8))] fn none none keep }),
            quote!({ mw "x" x 0 pre sync maybe [] fn none none keep }),
        ] {
            assert!(syn::parse2::<Entry>(bad.clone()).is_err(), "accepted {bad}");
        }
    }
}
