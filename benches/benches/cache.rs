//! A `ResponseCache` hit against a static `/hello`, in process
//! (`app.handle(req, &mut conn)` on a reused `kiln::Conn`, polled by
//! `kiln_benches::block_on`; no socket, no runtime). The goal: a hit within
//! 1.2x of `/hello`.
//!
//! - `hello`: an app without middleware answering the text `hello`.
//! - `hit`: the same text, stored by `ResponseCache` and served from it (the
//!   handler behind it never runs); `hit-304`: the same with a matching
//!   `If-None-Match`.
//! - `bypass`: a request with `Authorization` through the same app (the
//!   cache's cost when it steps aside).
//!
//! Run: `cargo bench -p kiln-benches --bench cache -- --warm-up-time 1 --measurement-time 2`;
//! `--min-ns` prints the fastest of 400 batches of 100 requests per scenario
//! (steadier on a shared machine).

// `criterion` needs no docs on the bench's items.
#![allow(missing_docs)]

use std::cell::RefCell;
use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use kiln::builtin::ResponseCache;
use kiln::http::HeaderValue;
use kiln::prelude::*;
use kiln_benches::block_on;

#[handler]
fn hello() -> &'static str {
    "hello"
}

mod plain {
    use super::hello;
    use kiln::prelude::*;

    chain! {
        pub struct Plain;
        routes { GET "/hello" => hello }
    }
}

mod cached {
    use super::hello;
    use kiln::prelude::*;

    chain! {
        pub struct Cached;
        singletons { cache: kiln::builtin::ResponseCache }
        middleware { kiln::builtin::ResponseCache }
        routes { GET "/hello" => hello }
    }
}

struct Scenario {
    name: &'static str,
    run: Box<dyn Fn(Request) -> Response>,
    headers: &'static [(&'static str, &'static str)],
    expect: StatusCode,
}

fn request(headers: &[(&'static str, &'static str)]) -> Request {
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = "/hello".parse().unwrap();
    for (n, v) in headers {
        req.headers_mut().insert(*n, HeaderValue::from_static(v));
    }
    req
}

fn runner<A: kiln::App>(app: A) -> Box<dyn Fn(Request) -> Response> {
    let conn = RefCell::new(kiln::Conn::new(kiln::ConnInfo::default()));
    Box::new(move |req| {
        let mut conn = conn.borrow_mut();
        let res = block_on(app.handle(req, &mut conn));
        conn.reset();
        res
    })
}

/// The tag `ResponseCache` gives `hello`, from a first (storing) request.
fn etag_of(run: &dyn Fn(Request) -> Response) -> &'static str {
    let res = run(request(&[]));
    assert_eq!(res.headers()["cache-status"], "kiln; fwd=miss; stored");
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    Box::leak(tag.into_boxed_str())
}

fn scenarios() -> Vec<Scenario> {
    let cached = || {
        runner(cached::Cached::new(cached::CachedSingletons {
            cache: ResponseCache::default(),
        }))
    };
    let hit = cached();
    let etag = etag_of(&*hit);
    let not_modified = cached();
    etag_of(&*not_modified);
    let inm: &'static [(&str, &str)] = Box::leak(Box::new([("if-none-match", etag)]));
    vec![
        Scenario {
            name: "hello",
            run: runner(plain::Plain::new()),
            headers: &[],
            expect: StatusCode::OK,
        },
        Scenario {
            name: "hit",
            run: hit,
            headers: &[],
            expect: StatusCode::OK,
        },
        Scenario {
            name: "hit-304",
            run: not_modified,
            headers: inm,
            expect: StatusCode::NOT_MODIFIED,
        },
        Scenario {
            name: "bypass",
            run: cached(),
            headers: &[("authorization", "Bearer x")],
            expect: StatusCode::OK,
        },
    ]
}

fn check(s: &Scenario) {
    let res = (s.run)(request(s.headers));
    assert_eq!(res.status(), s.expect, "{}", s.name);
    if s.name.starts_with("hit") {
        assert_eq!(res.headers()["cache-status"], "kiln; hit", "{}", s.name);
    }
}

#[inline(never)]
fn measured(s: &Scenario, req: Request) -> Response {
    (s.run)(req)
}

fn min_ns(all: &[Scenario]) {
    const BATCH: usize = 100;
    const ROUNDS: usize = 400;
    let mut best = vec![f64::INFINITY; all.len()];
    for _ in 0..ROUNDS {
        for (s, best) in all.iter().zip(&mut best) {
            let reqs: Vec<Request> = (0..BATCH).map(|_| request(s.headers)).collect();
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
        println!("{:10} {best:8.1} ns", s.name);
    }
    println!("hit / hello: {:.2}x", best[1] / best[0]);
}

fn main() {
    let all = scenarios();
    for s in &all {
        check(s);
    }
    if std::env::args().any(|a| a == "--min-ns") {
        min_ns(&all);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("cache");
    for s in &all {
        g.bench_function(s.name, |b| {
            b.iter_batched(
                || request(s.headers),
                |req| (s.run)(req),
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
    c.final_summary();
}
