//! What `RedisRateLimit` adds per request: one Redis round trip, and nothing
//! else. Four scenarios, driven in process on one current-thread tokio
//! runtime (`app.handle(req, &mut conn)` on a reused `kiln::Conn`) against a
//! `redis-server` this bench starts on a free local port:
//!
//! - `none`: `GET /` without a limiter (the runtime's and the app's own cost);
//! - `in-process`: with `RateLimit` (governor, in memory);
//! - `redis`: with `RedisRateLimit` (`EVALSHA` of the GCRA script);
//! - `ping`: one `PING` on a limiter's connection, alone;
//! - `raw-script`: `EVALSHA` of `return 1` on a `redis` connection manager
//!   (what invoking any script costs over a `PING`);
//! - `raw-gcra`: `EVALSHA` of kiln's GCRA script the same way (the script's
//!   own cost, without kiln's code around it).
//!
//! The claim holds when `redis - none ≈ ping + (in-process - none)`. After
//! each Redis scenario the bench prints Redis's own time per command (`INFO
//! commandstats`, reset before it): the server's share of the round trip.
//!
//! Run: `cargo bench -p kiln-benches --bench redis_limit -- --warm-up-time 1 --measurement-time 3`
//! (needs `redis-server` on the PATH: `apt-get install redis-server`).

#![allow(missing_docs)]

use std::cell::RefCell;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use kiln::builtin::{Quota, RateLimit, RedisRateLimit};
use kiln::prelude::*;

#[handler]
fn text() -> &'static str {
    "hello"
}

mod apps {
    //! One app per scenario.
    use super::text;
    use kiln::builtin::{RateLimit, RedisRateLimit};

    kiln::chain! {
        pub struct NoneApp;
        routes { GET "/" => text }
    }

    kiln::chain! {
        pub struct LocalApp;
        singletons { limit: RateLimit }
        middleware { kiln::builtin::RateLimit }
        routes { GET "/" => text }
    }

    kiln::chain! {
        pub struct RedisApp;
        singletons { limit: RedisRateLimit }
        middleware { kiln::builtin::RedisRateLimit }
        routes { GET "/" => text }
    }
}

struct Redis(Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> Option<(Redis, String)> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let redis = Redis(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((redis, format!("redis://127.0.0.1:{port}")))
}

/// A quota no run reaches: every check is admitted, and does the same work.
fn quotas() -> RateLimit {
    RateLimit::builder()
        .quota(Quota::with_period(Duration::from_nanos(1)).burst(u32::MAX))
        .build()
        .expect("quota")
}

fn request() -> Request {
    kiln::http::Request::builder()
        .uri("/")
        .body(Body::empty())
        .expect("request")
}

fn bench_app<A: kiln::App>(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, app: &A) {
    let conn = RefCell::new(kiln::Conn::new(kiln::ConnInfo {
        peer: Some(([203, 0, 113, 7], 5000).into()),
        ..kiln::ConnInfo::default()
    }));
    let mut run = || {
        let mut conn = conn.borrow_mut();
        let res = rt.block_on(app.handle(request(), &mut conn));
        conn.reset();
        res
    };
    assert_eq!(run().status(), StatusCode::OK, "{name}");
    c.bench_function(&format!("redis_limit/{name}"), |b| b.iter(&mut run));
}

/// Resets Redis's command statistics, runs `f`, then prints Redis's own
/// microseconds per call of each command `f` sent.
fn with_server_time(
    rt: &tokio::runtime::Runtime,
    admin: &mut redis::aio::ConnectionManager,
    name: &str,
    f: impl FnOnce(),
) {
    let _: () = rt
        .block_on(redis::cmd("CONFIG").arg("RESETSTAT").query_async(admin))
        .expect("CONFIG RESETSTAT");
    f();
    let info: String = rt
        .block_on(redis::cmd("INFO").arg("commandstats").query_async(admin))
        .expect("INFO commandstats");
    for line in info.lines().filter_map(|l| l.strip_prefix("cmdstat_")) {
        // `evalsha:calls=N,usec=T,usec_per_call=X,...`; `config|resetstat` and `info` are ours.
        let Some((cmd, stats)) = line.split_once(':') else {
            continue;
        };
        if cmd.starts_with("config") || cmd == "info" {
            continue;
        }
        let field = |k: &str| {
            stats
                .split(',')
                .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
                .unwrap_or("?")
                .to_owned()
        };
        println!(
            "redis_limit/{name}: Redis's own time per {cmd}: {} us ({} calls)",
            field("usec_per_call"),
            field("calls")
        );
    }
}

fn main() {
    let Some((_redis, url)) = start_redis() else {
        eprintln!(
            "redis_limit: cannot start redis-server; install it (apt-get install redis-server)"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let limit = rt
        .block_on(RedisRateLimit::builder(quotas()).connect(&url))
        .expect("connect");
    let mut c = Criterion::default().configure_from_args();
    bench_app(&mut c, &rt, "none", &apps::NoneApp::new());
    bench_app(
        &mut c,
        &rt,
        "in-process",
        &apps::LocalApp::new(apps::LocalAppSingletons { limit: quotas() }),
    );
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let manager = || {
        rt.block_on(redis::aio::ConnectionManager::new(client.clone()))
            .expect("connect")
    };
    let mut admin = manager();
    with_server_time(&rt, &mut admin, "redis", || {
        bench_app(
            &mut c,
            &rt,
            "redis",
            &apps::RedisApp::new(apps::RedisAppSingletons { limit }),
        );
    });
    // A second limiter (its own connection, like the app's) for the bare round trip.
    let pinger = rt
        .block_on(RedisRateLimit::builder(quotas()).connect(&url))
        .expect("connect");
    with_server_time(&rt, &mut admin, "ping", || {
        c.bench_function("redis_limit/ping", |b| {
            b.iter(|| rt.block_on(pinger.ping()).expect("ping"));
        });
    });
    let mut conn = manager();
    let trivial = redis::Script::new("return 1");
    with_server_time(&rt, &mut admin, "raw-script", || {
        c.bench_function("redis_limit/raw-script", |b| {
            b.iter(|| {
                rt.block_on(trivial.invoke_async::<_, i64>(&mut conn))
                    .expect("script")
            });
        });
    });
    let gcra = redis::Script::new(include_str!(
        "../../runtime/src/builtin/redis_limit/gcra.lua"
    ));
    with_server_time(&rt, &mut admin, "raw-gcra", || {
        c.bench_function("redis_limit/raw-gcra", |b| {
            b.iter(|| {
                let mut call = gcra.key("kiln:rl:raw:203.0.113.7");
                call.arg(1).arg(u32::MAX);
                rt.block_on(call.invoke_async::<(i64, i64, i64)>(&mut conn))
                    .expect("gcra")
            });
        });
    });
    c.final_summary();
}
