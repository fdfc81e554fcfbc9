//! Expansion snapshot: what `chain!` generates for a representative app, so a
//! reviewer can read that each route is one flat sequence of calls.
//!
//! Re-bless after an intended change with `KILN_BLESS=1 cargo test -p kiln-macros`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{expand, parse::ChainDef};
use crate::attr::{Kind, describe_for_test};

fn expanded() -> String {
    let items: Vec<(Kind, TokenStream, TokenStream)> = vec![
        (
            Kind::Provider,
            quote!(),
            quote!(
                async fn session(req: &Request) -> Result<Session, ApiError> {
                    todo!()
                }
            ),
        ),
        (
            Kind::Middleware,
            quote!(priority = 0, post_route),
            quote!(
                fn log(res: &mut Response) {}
            ),
        ),
        (
            Kind::Middleware,
            quote!(priority = 20, pre_route),
            quote!(
                async fn auth(req: &Request, keys: &Keys) -> Result<Claims, ApiError> {
                    todo!()
                }
            ),
        ),
        (
            Kind::Middleware,
            quote!(priority = 30, pre_route),
            quote!(
                fn audit(claims: &Claims, session: &mut Session) {}
            ),
        ),
        (
            Kind::Handler,
            quote!(),
            quote!(
                fn me(claims: &Claims, session: &Session, m: Method) -> String {
                    todo!()
                }
            ),
        ),
        (
            Kind::Handler,
            quote!(),
            quote!(
                fn health() -> &'static str {
                    "ok"
                }
            ),
        ),
    ];
    let descs: Vec<_> = items
        .into_iter()
        .map(|(k, a, i)| Some(describe_for_test(k, a, i)))
        .collect();
    let def: ChainDef = syn::parse2(quote! {
        pub struct Api;
        singletons { keys: Keys }
        request { session }
        middleware { log, auth }
        routes {
            GET "/me" => me with [audit],
            GET "/health" => health,
        }
    })
    .unwrap();
    // `def.items()` orders descriptors: providers, middleware, then routes.
    let order: Vec<String> = def.items().iter().map(|p| quote!(#p).to_string()).collect();
    assert_eq!(order, ["session", "log", "auth", "me", "audit", "health"]);
    let descs = vec![
        descs[0].clone(),
        descs[1].clone(),
        descs[2].clone(),
        descs[4].clone(),
        descs[3].clone(),
        descs[5].clone(),
    ];
    let ts = expand::expand(&def, &descs);
    let file: syn::File = syn::parse2(ts.clone()).unwrap_or_else(|e| panic!("{e}: {ts}"));
    prettyplease::unparse(&file)
}

#[test]
fn chain_expansion_snapshot() {
    let got = expanded();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/chain_api.rs");
    if std::env::var_os("KILN_BLESS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        got == want,
        "expansion changed; review and bless with KILN_BLESS=1:\n{got}"
    );
}
