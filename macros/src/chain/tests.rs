//! Expansion snapshots, and the check that `describe()` says what the
//! resolver decided, on apps written as a user writes them.
//!
//! A case is Rust source: attributed items and one `chain!`. The items'
//! descriptors are built by the attribute code itself, the chain is parsed,
//! resolved and emitted without rustc. Snapshots live in `macros/snapshots/`;
//! re-bless after an intended change with `KILN_BLESS=1 cargo test -p kiln-macros`
//! (see CONTRIBUTING.md) and read the diff.

use quote::{ToTokens, quote};

use super::model::{Model, Source};
use super::parse::{self, ChainDef};
use super::resolve;
use crate::attr::describe_for_test;
use crate::ctxt::Ctxt;
use crate::desc::{Desc, Entry, Kind};

/// The descriptors of a source file's attributed items, by item name.
fn items(file: &syn::File) -> Vec<(String, Desc)> {
    let mut out = Vec::new();
    for item in &file.items {
        let (attrs, name, tokens) = match item {
            syn::Item::Fn(f) => (&f.attrs, f.sig.ident.to_string(), {
                let mut f = f.clone();
                f.attrs.clear();
                f.to_token_stream()
            }),
            syn::Item::Impl(i) => (&i.attrs, i.self_ty.to_token_stream().to_string(), {
                let mut i = i.clone();
                i.attrs.clear();
                i.to_token_stream()
            }),
            _ => continue,
        };
        for a in attrs {
            let kind = match a.path().get_ident().map(ToString::to_string).as_deref() {
                Some("middleware") => Kind::Middleware,
                Some("handler") => Kind::Handler,
                Some("provider") => Kind::Provider,
                _ => continue,
            };
            let args = match &a.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => quote!(),
            };
            out.push((name.clone(), describe_for_test(kind, args, tokens.clone())));
        }
    }
    out
}

/// The `chain!` of a source file and the entries it would receive.
fn load(src: &str) -> Option<(ChainDef, Vec<Entry>)> {
    let file: syn::File = syn::parse_str(src).expect("valid Rust");
    let descs = items(&file);
    let mac = file.items.iter().find_map(|i| match i {
        syn::Item::Macro(m) if m.mac.path.is_ident("chain") => Some(m.mac.tokens.clone()),
        _ => None,
    })?;
    let cx = Ctxt::default();
    let def = parse::parse(mac, &cx).unwrap_or_else(|| panic!("{}", cx.to_compile_errors()));
    assert!(!cx.has_errors(), "{}", cx.to_compile_errors());
    let mut entries = Vec::new();
    for p in def.items() {
        let name = p.segments.last()?.ident.to_string();
        // Items from other crates (`kiln::builtin::Cors`) are not in the file.
        let d = descs.iter().find(|(n, _)| *n == name)?;
        entries.push(Entry::Item(d.1.clone()));
    }
    Some((def, entries))
}

fn expanded(src: &str, with_describe: bool) -> String {
    let (def, entries) = load(src).expect("a self-contained case");
    let generated = super::generate_parts(&def, &entries).unwrap_or_else(|e| panic!("{e}"));
    let ts = if with_describe {
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
        "expansion of {file} changed; review and bless with KILN_BLESS=1:\n{got}"
    );
}

const API: &str = r#"
    #[provider]
    async fn session(req: &Request) -> Result<Session, ApiError> { todo!() }
    #[middleware(priority = 0, post_route)]
    fn log(res: &mut Response) {}
    #[middleware(priority = 20, pre_route)]
    async fn auth(req: &Request, keys: &Keys) -> Result<Claims, ApiError> { todo!() }
    #[middleware(priority = 30, pre_route)]
    fn audit(claims: &Claims, session: &mut Session) {}
    #[handler]
    fn me(claims: &Claims, session: &Session, m: Method) -> String { todo!() }
    #[handler]
    fn health() -> &'static str { "ok" }
    #[handler]
    fn metrics(stats: &Stats) -> String { todo!() }
    chain! {
        pub struct Api;
        singletons { keys: Keys }
        request { session }
        middleware { log, auth }
        routes {
            GET "/me" => me with [audit],
            GET "/health" => health,
            @METRICS
        }
        @OPTIONS
    }
"#;

#[test]
fn snapshot_api() {
    let src = API.replace("@METRICS", "").replace("@OPTIONS", "");
    // The app alone, as it was before stats and `describe()` existed:
    // proof that neither adds a token to it.
    check_snapshot(&expanded(&src, false), "chain_api.rs");
}

#[test]
fn snapshot_api_with_stats() {
    let src = API
        .replace("@METRICS", r#"GET "/metrics" => metrics,"#)
        .replace("@OPTIONS", "options { stats }");
    check_snapshot(&expanded(&src, true), "chain_api_stats.rs");
}

#[test]
fn snapshot_wrap() {
    let src = r#"
        #[middleware(priority = -50, wrap)]
        impl Timeout {
            async fn wrap(&self, next: Next<'_>) -> Response { todo!() }
        }
        #[middleware(priority = -60, post_route)]
        fn security(res: &mut Response) {}
        #[middleware(priority = 10, pre_route)]
        fn gate(req: &Request) -> Result<(), StatusCode> { todo!() }
        #[handler]
        async fn slow() -> &'static str { "done" }
        chain! {
            struct App;
            singletons { timeout: Timeout }
            middleware { Timeout, security, gate }
            routes { GET "/slow" => slow }
        }
    "#;
    check_snapshot(&expanded(src, false), "chain_wrap.rs");
}

#[test]
fn snapshot_finish_steps() {
    // `tx` is built before `audit` (outside the timeout), `outbox` for the
    // handler only (inside it, so in a slot the timeout cannot drop).
    let src = r#"
        #[provider(finish)]
        async fn tx(db: &Db) -> Result<Tx, DbError> { todo!() }
        #[provider(finish)]
        fn outbox(tx: &mut Tx) -> Outbox { todo!() }
        #[middleware(priority = 10, post_route)]
        fn log(res: &mut Response) {}
        #[middleware(priority = 20, pre_route)]
        fn audit(tx: &mut Tx) {}
        #[middleware(priority = 30, wrap)]
        impl Timeout {
            async fn wrap(&self, next: Next<'_>) -> Response { todo!() }
        }
        #[handler]
        fn save(body: Json<Todo>, outbox: &mut Outbox) -> StatusCode { todo!() }
        chain! {
            struct App;
            singletons { db: Db, timeout: Timeout }
            request { tx, outbox }
            middleware { log, audit, Timeout }
            routes { POST "/todos" => save }
        }
    "#;
    check_snapshot(&expanded(src, false), "chain_finish.rs");
}

#[test]
fn snapshot_impl_shared_state() {
    let src = r#"
        #[middleware(priority = 0, pre_route, post_route)]
        impl Timer {
            fn pre() -> Self { todo!() }
            fn post(&self, res: &mut Response) {}
        }
        #[handler]
        fn hello(t: &Timer) -> &'static str { "hi" }
        chain! {
            struct App;
            middleware { Timer }
            routes { GET "/" => hello }
        }
    "#;
    check_snapshot(&expanded(src, false), "chain_impl_state.rs");
}

const ROUTES: &str = r#"
        #[provider]
        fn stamp(req: &Request) -> Stamp { todo!() }
        #[provider]
        async fn tx(db: &Db) -> Result<Tx, DbError> { todo!() }
        #[middleware(priority = 5, pre_route)]
        fn admin(req: &Request) -> Result<Admin, StatusCode> { todo!() }
        #[middleware(priority = 90, post_route)]
        fn no_store(res: &mut Response) {}
        #[handler]
        fn user(id: Path<u32>, stamp: Stamp) -> String { todo!() }
        #[handler]
        fn file(rest: Path<String>) -> String { todo!() }
        #[handler]
        async fn create(admin: &Admin, tx: &mut Tx, body: Json<New>) -> StatusCode { todo!() }
        chain! {
            struct App;
            singletons { db: Db }
            request { tx }
            transient { stamp }
            routes {
                GET "/users/{id}" => user,
                #[limit(rate = exempt)]
                GET "/files/{*rest}" => file,
                #[limit(body = 64 * 1024)]
                scope "/admin" with [admin] {
                    #[limit(rate = Quota::per_minute(5))]
                    POST "/items" => create with [no_store],
                }
                scope with [no_store] {
                    PUT "/items" => create with [admin],
                }
            }
        }
    "#;

#[test]
fn snapshot_patterns_transients_scopes_limits() {
    check_snapshot(&expanded(ROUTES, true), "chain_routes.rs");
}

/// Every source in a model's pipelines, as `describe()` must name them.
fn sources(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for (p, _) in model.pipelines() {
        // `describe::Route` lists the handler before the middleware.
        if let Some(h) = &p.handler {
            out.extend(h.recv.iter().chain(&h.args).map(|a| name(&a.source, p)));
        }
        for m in &p.members {
            for c in m.hooks.calls() {
                for a in c.recv.iter().chain(&c.args) {
                    out.push(name(&a.source, p));
                }
            }
        }
    }
    out
}

fn name(s: &Source, p: &super::model::Pipeline) -> String {
    match s {
        Source::Request => "Request".into(),
        Source::Response => "Response".into(),
        Source::Arena => "Arena".into(),
        Source::Next => "Next".into(),
        Source::Stats => "Stats".into(),
        Source::State(_) => "State".into(),
        Source::Extractor | Source::Unresolved => "Extractor".into(),
        Source::Singleton(j) => format!("Singleton#{j}"),
        Source::RequestScoped(r) => format!("RequestScoped#{r}"),
        Source::Transient(t) => format!("Transient({})", t.desc.name),
        Source::Output(j) => format!("Middleware({})", p.members[*j].item.desc.name),
    }
}

/// For every passing UI case: the `Need`s `describe()` emits, in order,
/// name exactly the sources the resolver decided for the pipelines.
#[test]
fn describe_agrees_with_the_resolver_on_every_passing_case() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/ui/pass");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("tests/ui/pass") {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let Some((def, entries)) = load(&src) else {
            continue;
        };
        let cx = Ctxt::default();
        let model = resolve::resolve(&def, &entries, &cx);
        assert!(
            !cx.has_errors(),
            "{}: {}",
            path.display(),
            cx.to_compile_errors()
        );
        let described = super::describe::describe(&model).to_string();
        // `describe()` lists route steps' needs then the handler's, route by
        // route, then the unmatched pipeline: the same walk as `sources`.
        let mut rest = described.as_str();
        for want in sources(&model) {
            let token = match want.split_once('#') {
                Some(("Singleton", j)) => format!(
                    "Source :: Singleton (\"{}\")",
                    model.singletons[j.parse::<usize>().unwrap()].field
                ),
                Some(("RequestScoped", r)) => format!(
                    "Source :: RequestScoped (\"{}\")",
                    model.request[r.parse::<usize>().unwrap()].desc.name
                ),
                _ => match want.split_once('(') {
                    Some((kind, arg)) => {
                        format!("Source :: {kind} (\"{}\")", arg.trim_end_matches(')'))
                    }
                    None => format!("Source :: {want}"),
                },
            };
            let at = rest.find(&token).unwrap_or_else(|| {
                panic!(
                    "{}: describe() lacks {token} where the resolver has it",
                    path.display()
                )
            });
            rest = &rest[at + token.len()..];
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} passing cases were checked");
}

/// With `crate = path`, generated code names kiln only through that path.
#[test]
fn crate_path_is_the_only_way_generated_code_names_kiln() {
    let src = API
        .replace("@METRICS", r#"GET "/metrics" => metrics,"#)
        .replace("@OPTIONS", "options { stats }")
        .replace("pub struct Api;", "crate = web::framework; pub struct Api;");
    let out = expanded(&src, true);
    let names_kiln = out
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with("kiln::") || w.starts_with("::kiln::"))
        .count();
    assert_eq!(names_kiln, 0, "{out}");
    assert!(out.contains("web::framework::__private::App"));
}

/// Each listed item's generated code names only `__private` items of kiln.
#[test]
fn generated_code_names_kiln_only_under_private() {
    let src = API.replace("@METRICS", "").replace("@OPTIONS", "");
    let out = expanded(&src, true) + &expanded(ROUTES, true);
    for w in out.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
        if let Some(rest) = w.strip_prefix("::kiln::") {
            assert!(
                rest.starts_with("__private::"),
                "generated code names `{w}`"
            );
        }
    }
}
