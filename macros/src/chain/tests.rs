//! Expansion snapshot: what `chain!` generates for a representative app, so a
//! reviewer can read that each route is one flat sequence of calls.
//!
//! Re-bless after an intended change with `KILN_BLESS=1 cargo test -p kiln-macros`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{expand, parse::ChainDef};
use crate::attr::{Kind, describe_for_test};

/// The items the representative app lists: kind, attribute arguments, item.
fn items() -> Vec<(Kind, TokenStream, TokenStream)> {
    vec![
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
        (
            Kind::Handler,
            quote!(),
            quote!(
                fn metrics(stats: &Stats) -> String {
                    todo!()
                }
            ),
        ),
    ]
}

/// The representative app's expansion; `stats` adds `options { stats }` and
/// a route that reads them, and shows `describe()` too.
fn expanded(stats: bool) -> String {
    let descs: Vec<_> = items()
        .into_iter()
        .map(|(k, a, i)| Some(describe_for_test(k, a, i)))
        .collect();
    let (options, metrics) = if stats {
        (
            quote!(options { stats }),
            quote!(GET "/metrics" => metrics,),
        )
    } else {
        (quote!(), quote!())
    };
    let def: ChainDef = syn::parse2(quote! {
        pub struct Api;
        singletons { keys: Keys }
        request { session }
        middleware { log, auth }
        routes {
            GET "/me" => me with [audit],
            GET "/health" => health,
            #metrics
        }
        #options
    })
    .unwrap();
    // `def.items()` orders descriptors: providers, middleware, then routes.
    let order: Vec<String> = def.items().iter().map(|p| quote!(#p).to_string()).collect();
    let mut want = vec!["session", "log", "auth", "me", "audit", "health"];
    if stats {
        want.push("metrics");
    }
    assert_eq!(order, want);
    let mut descs = vec![
        descs[0].clone(),
        descs[1].clone(),
        descs[2].clone(),
        descs[4].clone(),
        descs[3].clone(),
        descs[5].clone(),
        descs[6].clone(),
    ];
    descs.truncate(want.len());
    let generated = expand::generate(&def, &descs).unwrap_or_else(|e| panic!("{e}"));
    // Without stats the snapshot is the app alone, as it was before stats
    // and `describe()` existed: proof that neither adds a token to it.
    let ts = if stats {
        let (app, describe) = (generated.app, generated.describe);
        quote!(#app #describe)
    } else {
        generated.app
    };
    let file: syn::File = syn::parse2(ts.clone()).unwrap_or_else(|e| panic!("{e}: {ts}"));
    prettyplease::unparse(&file)
}

fn check_snapshot(got: &str, file: &str) {
    let path = format!("{}/snapshots/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("KILN_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "expansion changed; review and bless with KILN_BLESS=1:\n{got}"
    );
}

#[test]
fn chain_expansion_snapshot() {
    check_snapshot(&expanded(false), "chain_api.rs");
}

#[test]
fn chain_expansion_snapshot_with_stats() {
    check_snapshot(&expanded(true), "chain_api_stats.rs");
}
