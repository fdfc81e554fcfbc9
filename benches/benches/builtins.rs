//! Per-request cost of each built-in middleware on its common path, and of the
//! full stack, driven in process (`app.handle(req, &mut conn)` on a reused
//! `kiln::Conn`, polled by `kiln_benches::block_on`; no socket, no runtime).
//!
//! Every app answers `GET /` with the text `hello` (a text response starts with
//! room for 16 headers, so a built-in's figure is its own work, not the growth
//! of a small `HeaderMap`); `none` is that app without middleware, and a
//! built-in's own cost is its scenario minus `none`. `full/*` adds every
//! built-in except JWT, `full+jwt` also verifies an HS256 token (a hit in the
//! verified-token cache after the first request; `jwt/hs256/uncached` turns the cache off). JWT signature verification and
//! the access log's formatting (a `tracing-subscriber` `fmt` layer, or kiln's
//! `AccessLogLayer`, writing to `io::sink`) are reported as their own scenarios.
//!
//! Run: `cargo bench -p kiln-benches --bench builtins -- --warm-up-time 1 --measurement-time 2`.
//!
//! Instruction counts (stable on a noisy machine): build with
//! `cargo bench -p kiln-benches --bench builtins --no-run`, then run the binary
//! it prints under `valgrind --tool=callgrind --toggle-collect='*measured*'`
//! with `--instructions <scenario> <iterations>` (once with 1 and once with
//! 10001 iterations; the difference over 10000 is the count per request).
//! `--list` prints the scenario names; `--min-ns` prints, per scenario, the
//! fastest of 300 batches of 200 requests (steadier than criterion's mean on a
//! machine shared with other work).

// `criterion_group!` generates an undocumented `pub fn`; `chain!` a `new` with
// one parameter per singleton.
#![allow(missing_docs, clippy::too_many_arguments)]

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use kiln::builtin::{
    AccessLog, Algorithm, BodyLimit, CatchPanic, Cors, JwtAuth, JwtClaims, JwtKey, Quota,
    RateLimit, RequestIds, SecurityHeaders, ServerTiming, Timeout,
};
use kiln::http::HeaderValue;
use kiln::prelude::*;
use kiln_benches::block_on;

const ORIGIN: &str = "https://app.example";
const SECRET: &[u8] = b"kiln bench secret, 32+ bytes long";

#[handler]
fn text() -> &'static str {
    "hello"
}

#[handler]
fn me(claims: &JwtClaims) -> &'static str {
    if claims.sub.is_some() { "hello" } else { "?" }
}

mod apps {
    //! One app per scenario.
    use super::{me, text};
    use kiln::builtin::{
        AccessLog, BodyLimit, CatchPanic, Cors, JwtAuth, RateLimit, RequestIds, SecurityHeaders,
        ServerTiming, Timeout,
    };
    use kiln::prelude::*;

    chain! { pub(crate) struct NoneApp; routes { GET "/" => text } }
    chain! {
        pub(crate) struct CorsApp;
        singletons { cors: Cors }
        middleware { kiln::builtin::Cors }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct IdApp;
        singletons { ids: RequestIds }
        middleware { kiln::builtin::RequestIds }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct TimingApp;
        singletons { timing: ServerTiming }
        middleware { kiln::builtin::ServerTiming }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct LogApp;
        singletons { ids: RequestIds, log: AccessLog }
        middleware { kiln::builtin::RequestIds, kiln::builtin::AccessLog }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct SecurityApp;
        singletons { security: SecurityHeaders }
        middleware { kiln::builtin::SecurityHeaders }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct BodyApp;
        singletons { limit: BodyLimit }
        middleware { kiln::builtin::BodyLimit }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct TimeoutApp;
        singletons { timeout: Timeout }
        middleware { kiln::builtin::Timeout }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct PanicApp;
        singletons { catch: CatchPanic }
        middleware { kiln::builtin::CatchPanic }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct RateApp;
        singletons { rate: RateLimit }
        middleware { kiln::builtin::RateLimit }
        routes { GET "/" => text }
    }
    chain! {
        pub(crate) struct JwtApp;
        singletons { jwt: JwtAuth }
        middleware { kiln::builtin::JwtAuth }
        routes { GET "/" => me }
    }
    chain! {
        pub(crate) struct FullApp;
        singletons {
            cors: Cors, ids: RequestIds, timing: ServerTiming, log: AccessLog,
            security: SecurityHeaders, catch: CatchPanic, timeout: Timeout,
            limit: BodyLimit, rate: RateLimit, jwt: JwtAuth,
        }
        middleware {
            kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::ServerTiming,
            kiln::builtin::AccessLog, kiln::builtin::SecurityHeaders, kiln::builtin::CatchPanic,
            kiln::builtin::Timeout, kiln::builtin::BodyLimit, kiln::builtin::RateLimit,
        }
        routes {
            GET "/" => text,
            GET "/me" => me with [kiln::builtin::JwtAuth],
        }
    }
}

fn cors() -> Cors {
    Cors::builder()
        .allow_origin("https://other.example")
        .allow_origin(ORIGIN)
        .allow_headers(["authorization", "content-type"])
        .build()
        .unwrap()
}

fn jwt() -> JwtAuth {
    JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET))
        .build()
        .unwrap()
}

fn rate() -> RateLimit {
    // High enough that the bench never hits it; the check is the same work.
    RateLimit::builder()
        .quota(Quota::per_second(1_000_000_000))
        .build()
        .unwrap()
}

fn full() -> apps::FullApp {
    apps::FullApp::new(apps::FullAppSingletons {
        cors: cors(),
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_secs(30)).unwrap(),
        limit: BodyLimit,
        rate: rate(),
        jwt: jwt(),
    })
}

fn token() -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &serde_json::json!({ "sub": "ada", "role": "admin", "exp": 4_000_000_000u64 }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// What a scenario's requests carry. Every request has the same number of
/// headers, all with static values, so that dropping the request (inside the
/// measured region) costs the same in every scenario.
#[derive(Clone, Default)]
struct Req {
    path: &'static str,
    method: Option<Method>,
    headers: Vec<(&'static str, &'static str)>,
}

/// Headers per request (scenario headers, then fillers).
const HEADERS: usize = 3;
const FILLERS: [&str; HEADERS] = ["x-pad-0", "x-pad-1", "x-pad-2"];

impl Req {
    fn get(path: &'static str) -> Self {
        Req {
            path,
            ..Req::default()
        }
    }
    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }
    fn build(&self) -> Request {
        let mut req = Request::new(Body::empty());
        *req.uri_mut() = self.path.parse().unwrap();
        if let Some(m) = &self.method {
            *req.method_mut() = m.clone();
        }
        let fill = FILLERS[..HEADERS - self.headers.len()]
            .iter()
            .map(|n| (*n, "1"));
        for (n, v) in self.headers.iter().copied().chain(fill) {
            req.headers_mut().insert(n, HeaderValue::from_static(v));
        }
        req
    }
}

/// A scenario: an app and its request, driven on one connection.
struct Scenario {
    name: &'static str,
    run: Box<dyn Fn(Request) -> Response>,
    req: Req,
    expect: StatusCode,
}

fn scenario<A: kiln::App>(name: &'static str, app: A, req: Req, expect: StatusCode) -> Scenario {
    let conn = RefCell::new(kiln::Conn::new(kiln::ConnInfo {
        peer: Some(([203, 0, 113, 7], 5000).into()),
        ..kiln::ConnInfo::default()
    }));
    Scenario {
        name,
        run: Box::new(move |req| {
            let mut conn = conn.borrow_mut();
            let res = block_on(app.handle(req, &mut conn));
            conn.reset();
            res
        }),
        req,
        expect,
    }
}

#[allow(clippy::too_many_lines)] // one table of every scenario, easier to read whole
fn scenarios() -> Vec<Scenario> {
    let ok = StatusCode::OK;
    // Leaked once so the header value is static like the others.
    let bearer: &'static str = Box::leak(format!("Bearer {}", token()).into_boxed_str());
    let root = || Req::get("/");
    let cors_req = || root().header("origin", ORIGIN);
    let mut preflight = root()
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization");
    preflight.method = Some(Method::OPTIONS);
    vec![
        scenario("none", apps::NoneApp::new(), root(), ok),
        scenario(
            "cors/no-origin",
            apps::CorsApp::new(apps::CorsAppSingletons { cors: cors() }),
            root(),
            ok,
        ),
        scenario(
            "cors/allowed",
            apps::CorsApp::new(apps::CorsAppSingletons { cors: cors() }),
            cors_req(),
            ok,
        ),
        scenario(
            "cors/preflight",
            apps::CorsApp::new(apps::CorsAppSingletons { cors: cors() }),
            preflight,
            StatusCode::NO_CONTENT,
        ),
        scenario(
            "request-id/generate",
            apps::IdApp::new(apps::IdAppSingletons {
                ids: RequestIds::new(),
            }),
            root(),
            ok,
        ),
        scenario(
            "request-id/incoming",
            apps::IdApp::new(apps::IdAppSingletons {
                ids: RequestIds::new(),
            }),
            root().header("x-request-id", "3f2c9a4e-7b1d-4c8e-9a06-5d4e3c2b1a00"),
            ok,
        ),
        scenario(
            "server-timing",
            apps::TimingApp::new(apps::TimingAppSingletons {
                timing: ServerTiming::new(),
            }),
            root(),
            ok,
        ),
        scenario(
            "access-log/off",
            apps::LogApp::new(apps::LogAppSingletons {
                ids: RequestIds::new(),
                log: AccessLog::new(),
            }),
            root().header("x-request-id", "req-1"),
            ok,
        ),
        scenario(
            "security-headers",
            apps::SecurityApp::new(apps::SecurityAppSingletons {
                security: SecurityHeaders::default(),
            }),
            root(),
            ok,
        ),
        scenario(
            "body-limit",
            apps::BodyApp::new(apps::BodyAppSingletons { limit: BodyLimit }),
            root(),
            ok,
        ),
        scenario(
            "timeout",
            apps::TimeoutApp::new(apps::TimeoutAppSingletons {
                timeout: Timeout::new(Duration::from_secs(30)).unwrap(),
            }),
            root(),
            ok,
        ),
        scenario(
            "catch-panic",
            apps::PanicApp::new(apps::PanicAppSingletons {
                catch: CatchPanic::new(),
            }),
            root(),
            ok,
        ),
        scenario(
            "rate-limit",
            apps::RateApp::new(apps::RateAppSingletons { rate: rate() }),
            root(),
            ok,
        ),
        scenario(
            "jwt/hs256",
            apps::JwtApp::new(apps::JwtAppSingletons { jwt: jwt() }),
            root().header("authorization", bearer),
            ok,
        ),
        scenario(
            "jwt/hs256/uncached",
            apps::JwtApp::new(apps::JwtAppSingletons {
                jwt: JwtAuth::builder()
                    .key(JwtKey::secret(Algorithm::HS256, SECRET))
                    .cache_size(0)
                    .build()
                    .unwrap(),
            }),
            root().header("authorization", bearer),
            ok,
        ),
        scenario(
            "jwt/missing",
            apps::JwtApp::new(apps::JwtAppSingletons { jwt: jwt() }),
            root(),
            StatusCode::UNAUTHORIZED,
        ),
        scenario("full", full(), cors_req(), ok),
        scenario("full/no-origin", full(), root(), ok),
        scenario(
            "full+jwt",
            full(),
            Req::get("/me")
                .header("origin", ORIGIN)
                .header("authorization", bearer),
            ok,
        ),
    ]
}

/// The access log with a subscriber that formats every event and writes it
/// to `io::sink`: the cost of logging itself, with `tracing_subscriber::fmt`
/// (`fmt-to-sink`) or kiln's `AccessLogLayer` (`layer-to-sink`).
fn access_log_on(name: &'static str) -> Scenario {
    scenario(
        name,
        apps::LogApp::new(apps::LogAppSingletons {
            ids: RequestIds::new(),
            log: AccessLog::new(),
        }),
        Req::get("/").header("x-request-id", "req-1"),
        StatusCode::OK,
    )
}

/// Bytes the access log wrote, to show the events were emitted.
static LOGGED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `io::sink` that counts what it is given.
struct CountingSink;

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGGED.fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The two ways to write the access log that the `*-to-sink` scenarios compare.
const LOGGED_SCENARIOS: [&str; 2] = ["access-log/fmt-to-sink", "access-log/layer-to-sink"];

fn log_subscriber(name: &str) -> Box<dyn tracing::Subscriber + Send + Sync> {
    use tracing_subscriber::layer::SubscriberExt;
    if name == "access-log/fmt-to-sink" {
        Box::new(
            tracing_subscriber::fmt()
                .with_writer(|| CountingSink)
                .with_max_level(tracing::Level::INFO)
                .finish(),
        )
    } else {
        Box::new(
            tracing_subscriber::registry()
                .with(kiln::builtin::AccessLogLayer::new(|| CountingSink))
                .with(tracing_subscriber::filter::LevelFilter::INFO),
        )
    }
}

fn check(s: &Scenario) {
    let res = (s.run)(s.req.build());
    assert_eq!(res.status(), s.expect, "{}", s.name);
}

fn bench(c: &mut Criterion, s: &Scenario) {
    check(s);
    let mut g = c.benchmark_group("builtins");
    g.bench_function(s.name, |b| {
        b.iter_batched(|| s.req.build(), |req| (s.run)(req), BatchSize::SmallInput);
    });
    g.finish();
}

/// Measured region for callgrind's `--toggle-collect='*measured*'`.
#[inline(never)]
fn measured(s: &Scenario, req: Request) -> Response {
    (s.run)(req)
}

/// The fastest of many batches, per request: robust to other processes on a
/// shared machine (a batch that ran undisturbed sets the figure). Rounds visit
/// every scenario in turn, so all see the same conditions; requests are built
/// before each batch and responses dropped after it, outside the timing.
fn min_ns() {
    print_min_ns(&scenarios());
    // Only now create the subscribers: tracing caches each callsite's interest
    // globally, so the scenarios above ran with logging truly off.
    for name in LOGGED_SCENARIOS {
        let _guard = tracing::subscriber::set_default(log_subscriber(name));
        tracing::callsite::rebuild_interest_cache();
        print_min_ns(&[access_log_on(name)]);
    }
    let logged = LOGGED.load(std::sync::atomic::Ordering::Relaxed);
    println!("(the access log wrote {logged} bytes)");
}

fn print_min_ns(all: &[Scenario]) {
    const BATCH: usize = 100;
    const ROUNDS: usize = 400;
    let mut best = vec![f64::INFINITY; all.len()];
    for _ in 0..ROUNDS {
        for (s, best) in all.iter().zip(&mut best) {
            let reqs: Vec<Request> = (0..BATCH).map(|_| s.req.build()).collect();
            let mut out = Vec::with_capacity(BATCH);
            let t = std::time::Instant::now();
            for req in reqs {
                out.push(measured(s, req));
            }
            #[allow(clippy::cast_precision_loss)] // BATCH is small
            let ns = t.elapsed().as_secs_f64() * 1e9 / BATCH as f64;
            drop(black_box(out));
            *best = best.min(ns);
        }
    }
    for (s, best) in all.iter().zip(&best) {
        println!("{:28} {best:8.1} ns", s.name);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        for s in scenarios() {
            println!("{}", s.name);
        }
        for name in LOGGED_SCENARIOS {
            println!("{name}");
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--instructions") {
        let name = &args[i + 1];
        let n: usize = args[i + 2].parse().unwrap();
        let on = LOGGED_SCENARIOS.contains(&name.as_str());
        let s = if on {
            access_log_on(LOGGED_SCENARIOS.into_iter().find(|n| n == name).unwrap())
        } else {
            scenarios()
                .into_iter()
                .find(|s| s.name == name)
                .expect("unknown scenario")
        };
        let _guard = on.then(|| tracing::subscriber::set_default(log_subscriber(name)));
        check(&s);
        for _ in 0..n {
            let req = s.req.build();
            drop(black_box(measured(&s, req)));
        }
        return;
    }
    if args.iter().any(|a| a == "--min-ns") {
        min_ns();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    for s in scenarios() {
        bench(&mut c, &s);
    }
    for name in LOGGED_SCENARIOS {
        let _guard = tracing::subscriber::set_default(log_subscriber(name));
        bench(&mut c, &access_log_on(name));
    }
    c.final_summary();
}
