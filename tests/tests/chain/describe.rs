//! `describe()`: the resolved chain matches what was declared — order,
//! priorities (and overrides), phases, needs with their sources, outputs —
//! and prints as tables, JSON and a DOT graph.
// `check` is async to show an async hook described as such; it needs no await.
#![allow(clippy::unused_async)]

use kiln::describe::{Phase, Scope, Source};
use kiln::prelude::*;

struct Keys;
struct Claims;
struct Session;
struct Stamp;

#[provider]
async fn session(_req: &Request) -> Result<Session, StatusCode> {
    Ok(Session)
}

#[provider]
fn stamp() -> Stamp {
    Stamp
}

#[middleware(priority = 0, post_route, name = "access-log")]
fn log(_res: &mut Response) {}

#[middleware(priority = 20, pre_route)]
async fn check(_req: &Request, _keys: &Keys) -> Result<Claims, StatusCode> {
    Ok(Claims)
}

#[middleware(priority = 30, pre_route)]
fn audit(_claims: &Claims, _session: &mut Session, _stamp: Stamp) {}

#[middleware(priority = 40, pre_route)]
fn late() {}

/// Both hooks, keeping its pre state for post.
struct Timer(std::time::Instant);

#[middleware(priority = 5, pre_route, post_route)]
impl Timer {
    fn pre() -> Self {
        Timer(std::time::Instant::now())
    }
    fn post(&self, _res: &mut Response) {
        let _ = self.0.elapsed();
    }
}

#[handler]
fn me(_claims: &Claims, _session: &Session, _m: Method) -> &'static str {
    "me"
}

#[handler]
fn health() -> &'static str {
    "ok"
}

chain! {
    struct Api;
    singletons { keys: Keys }
    request { session }
    transient { stamp }
    // Listed out of priority order on purpose.
    middleware { check, log, Timer }
    routes {
        GET "/me" => me with [audit],
        scope "/admin" with [late(priority = 1)] {
            GET "/health" => health,
        }
    }
}

fn app() -> Api {
    Api::new(ApiSingletons { keys: Keys })
}

#[test]
fn routes_list_middleware_in_priority_order() {
    let d = app().describe();
    assert_eq!(d.app, "Api");
    assert!(!d.stats);
    let me = &d.routes[0];
    assert_eq!((me.method, me.pattern), ("GET", Some("/me")));
    assert_eq!(me.handler.map(|h| h.name), Some("me"));
    let order: Vec<(&str, i32, Phase, Scope)> = me
        .middleware
        .iter()
        .map(|s| (s.name, s.priority, s.phase, s.scope))
        .collect();
    assert_eq!(
        order,
        [
            ("access-log", 0, Phase::Post, Scope::Global),
            ("Timer", 5, Phase::PrePost, Scope::Global),
            ("check", 20, Phase::Pre, Scope::Global),
            ("audit", 30, Phase::Pre, Scope::Route),
        ]
    );
    // The declared priorities agree with the `Middleware` trait's constants.
    assert_eq!(
        me.middleware[0].declared_priority,
        <log as kiln::Middleware>::PRIORITY
    );
    assert_eq!(<log as kiln::Middleware>::NAME, "access-log");
    assert_eq!(
        me.middleware[2].declared_priority,
        <check as kiln::Middleware>::PRIORITY
    );

    let health = &d.routes[1];
    assert_eq!(health.pattern, Some("/admin/health"));
    let late = &health.middleware[1];
    assert_eq!(
        (late.name, late.priority, late.declared_priority, late.scope),
        ("late", 1, 40, Scope::Route),
        "the scope's override moves it before `Timer`"
    );
    assert_eq!(health.middleware[2].name, "Timer");

    assert_eq!(d.unmatched.pattern, None);
    assert!(d.unmatched.handler.is_none());
    let global: Vec<&str> = d.unmatched.middleware.iter().map(|s| s.name).collect();
    assert_eq!(global, ["access-log", "Timer", "check"]);
}

#[test]
fn needs_name_their_sources() {
    let d = app().describe();
    let me = &d.routes[0];
    let needs = |i: usize| -> Vec<(&str, Source)> {
        me.middleware[i]
            .needs
            .iter()
            .map(|n| (n.ty, n.from))
            .collect()
    };
    assert_eq!(needs(0), [("&mut Response", Source::Response)]);
    assert_eq!(
        needs(1),
        [
            ("&self", Source::State),
            ("&mut Response", Source::Response)
        ]
    );
    assert_eq!(
        needs(2),
        [
            ("&Request", Source::Request),
            ("&Keys", Source::Singleton("keys"))
        ]
    );
    assert_eq!(
        needs(3),
        [
            ("&Claims", Source::Middleware("check")),
            ("&mut Session", Source::RequestScoped("session")),
            ("Stamp", Source::Transient("stamp")),
        ]
    );
    let check = &me.middleware[2];
    assert_eq!(check.provides, Some("Claims"));
    assert!(check.is_async && check.fallible);
    let handler: Vec<(&str, Source)> = me
        .handler
        .unwrap()
        .needs
        .iter()
        .map(|n| (n.ty, n.from))
        .collect();
    assert_eq!(
        handler,
        [
            ("&Claims", Source::Middleware("check")),
            ("&Session", Source::RequestScoped("session")),
            ("Method", Source::Extractor),
        ]
    );
    assert_eq!(d.singletons[0].field, "keys");
    assert_eq!(d.singletons[0].built_by, None);
    let session = &d.request[0];
    assert_eq!((session.name, session.provides), ("session", "Session"));
    assert!(session.is_async && session.fallible);
    assert_eq!(d.transient[0].provides, "Stamp");
}

#[test]
fn display_is_a_table_per_route() {
    let text = app().describe().to_string();
    println!("{text}");
    assert!(text.starts_with("Api: 2 routes, stats off\n"));
    let lines: Vec<&str> = text.lines().collect();
    let at = |s: &str| {
        lines
            .iter()
            .position(|l| l.contains(s))
            .unwrap_or_else(|| panic!("no line with {s:?} in\n{text}"))
    };
    // Services, then each route's title, header and rows in pipeline order.
    assert!(
        lines[at("session")].contains("request-scoped, async, fallible")
            && lines[at("session")].contains("&Request (request)")
    );
    let me = at("GET /me -> me");
    assert!(lines[me + 1].trim_start().starts_with("#  priority  phase"));
    assert!(lines[me + 2].contains("access-log") && lines[me + 2].contains("post"));
    assert!(lines[me + 3].contains("Timer") && lines[me + 3].contains("pre+post"));
    assert!(lines[me + 4].contains("check") && lines[me + 4].contains("&Keys (singleton keys)"));
    assert!(lines[me + 5].contains("audit") && lines[me + 5].contains("route"));
    assert!(lines[me + 6].contains("handler") && lines[me + 6].contains("Method (extractor)"));
    let health = at("GET /admin/health -> health");
    assert!(lines[health + 3].contains("1 (declared 40)"));
    assert!(text.contains("* (unmatched: 404/405)"));
    // Columns line up: every row of a table has its phase at the same column.
    let col = lines[me + 1].find("phase").unwrap();
    for l in &lines[me + 2..=me + 5] {
        assert!(
            ["pre", "post"].iter().any(|p| l[col..].starts_with(p)),
            "{l:?}"
        );
    }
}

#[test]
fn json_and_dot() {
    let d = app().describe();
    let v = serde_json::to_value(d).unwrap();
    assert_eq!(v["app"], "Api");
    let step = &v["routes"][0]["middleware"][2];
    assert_eq!(step["name"], "check");
    assert_eq!(step["priority"], 20);
    assert_eq!(step["phase"], "pre");
    assert_eq!(step["needs"][1]["ty"], "&Keys");
    assert_eq!(step["needs"][1]["from"]["kind"], "singleton");
    assert_eq!(step["needs"][1]["from"]["name"], "keys");
    assert_eq!(v["routes"][0]["middleware"][1]["phase"], "pre_post");
    assert_eq!(v["unmatched"]["pattern"], serde_json::Value::Null);

    let dot = d.dot();
    assert!(dot.starts_with("digraph \"Api\" {"));
    for edge in [
        r#""singleton keys" -> "middleware check" [label="&Keys"];"#,
        r#""middleware check" -> "middleware audit" [label="&Claims"];"#,
        r#""request-scoped session" -> "handler GET /me" [label="&Session"];"#,
        r#""transient stamp" -> "middleware audit" [label="Stamp"];"#,
    ] {
        assert!(dot.contains(edge), "missing {edge} in\n{dot}");
    }
    assert_eq!(
        dot.matches("-> \"middleware check\"").count(),
        1,
        "edges are not repeated per route"
    );
}

#[kiln::middleware(priority = 1, pre_route)]
fn noop() {}

chain! {
    struct WithStats;
    middleware { noop }
    routes { GET "/metrics" => kiln::stats::prometheus }
    options { stats }
}

#[test]
fn stats_apps_say_so_and_show_the_stats_source() {
    let d = WithStats::new().describe();
    assert!(d.stats);
    let h = d.routes[0].handler.unwrap();
    assert_eq!(h.name, "prometheus");
    assert_eq!(h.needs[0].from, Source::Stats);
    assert!(d.to_string().starts_with("WithStats: 1 route, stats on"));
    // The stats read the same layout the description gives.
    let s = WithStats::new().stats();
    assert_eq!(s.routes.len(), d.routes.len());
    assert_eq!(s.routes[0].middleware[0].name, "noop");
}
