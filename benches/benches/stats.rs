//! The cost of `options { stats }`: the same chains of 0, 1, 5 and 10
//! middleware (each a checking `pre_route` fn and a stamping `post_route` fn,
//! as in `kiln_benches`) compiled without and with stats, plus the two clocks
//! the stats could read.
//!
//! - Criterion: `cargo bench -p kiln-benches --bench stats -- --warm-up-time 1 --measurement-time 2`
//! - Instructions per request (callgrind, deterministic):
//!   `cargo bench -p kiln-benches --bench stats -- --callgrind`
//!   re-runs this binary under `valgrind --tool=callgrind` per scenario,
//!   counting only inside `measured`, and prints `(Ir(10001) - Ir(1)) / 10000`.

// `criterion_group!`-style functions and the chains' structs are undocumented.
#![allow(missing_docs)]

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use criterion::{BatchSize, Criterion};
use kiln::prelude::*;
// The same middleware and endpoint as the lib's `Kiln*` chains.
use kiln_benches::kiln_apps::{
    Kiln0, Kiln1, Kiln5, Kiln10, ok, post0, post1, post2, post3, post4, post5, post6, post7, post8,
    post9, pre0, pre1, pre2, pre3, pre4, pre5, pre6, pre7, pre8, pre9,
};
use kiln_benches::{KilnScenario, Scenario, verify};

/// The same app twice: `Off*` as every chain was before stats existed,
/// `On*` with `options { stats }`.
macro_rules! apps {
    ($off:ident, $on:ident, [$($mw:ident),*]) => {
        chain! {
            pub struct $off;
            middleware { $($mw),* }
            routes { GET "/" => ok }
        }
        chain! {
            pub struct $on;
            middleware { $($mw),* }
            routes { GET "/" => ok }
            options { stats }
        }
    };
}
apps!(Off0, On0, []);
apps!(Off1, On1, [pre0, post0]);
apps!(
    Off5,
    On5,
    [
        pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4
    ]
);
apps!(
    Off10,
    On10,
    [
        pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4, pre5, post5, pre6, post6,
        pre7, post7, pre8, post8, pre9, post9
    ]
);

/// Handles one request; the only code callgrind counts.
#[inline(never)]
fn measured<S: Scenario>(s: &S, req: S::Req) -> http::Response<S::Body> {
    s.handle(black_box(req))
}

/// Receives every scenario: its name, its number of middleware, the scenario.
trait Visit {
    fn visit<S: Scenario>(&mut self, name: &str, n: usize, s: S);
}

fn all(v: &mut impl Visit) {
    v.visit("kiln-0", 0, KilnScenario::new(Kiln0::new()));
    v.visit("off-0", 0, KilnScenario::new(Off0::new()));
    v.visit("on-0", 0, KilnScenario::new(On0::new()));
    v.visit("kiln-1", 1, KilnScenario::new(Kiln1::new()));
    v.visit("off-1", 1, KilnScenario::new(Off1::new()));
    v.visit("on-1", 1, KilnScenario::new(On1::new()));
    v.visit("kiln-5", 5, KilnScenario::new(Kiln5::new()));
    v.visit("off-5", 5, KilnScenario::new(Off5::new()));
    v.visit("on-5", 5, KilnScenario::new(On5::new()));
    v.visit("kiln-10", 10, KilnScenario::new(Kiln10::new()));
    v.visit("off-10", 10, KilnScenario::new(Off10::new()));
    v.visit("on-10", 10, KilnScenario::new(On10::new()));
}

struct Bench<'a>(&'a mut Criterion);

impl Visit for Bench<'_> {
    fn visit<S: Scenario>(&mut self, name: &str, n: usize, s: S) {
        verify(&s, n, false);
        let mut g = self.0.benchmark_group("stats");
        // Request construction and response drop stay outside the timing.
        g.bench_function(name, |b| {
            b.iter_batched(
                || s.request(),
                |req| measured(&s, req),
                BatchSize::SmallInput,
            );
        });
        g.finish();
    }
}

/// Reading a clock twice and taking the difference in nanoseconds, as each
/// timed hook does.
fn clocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("clock");
    g.bench_function("std_instant", |b| {
        b.iter(|| {
            let start = Instant::now();
            black_box(start.elapsed().as_nanos())
        });
    });
    let clock = quanta::Clock::new();
    g.bench_function("quanta_raw", |b| {
        b.iter(|| {
            let start = clock.raw();
            black_box(clock.delta_as_nanos(start, clock.raw()))
        });
    });
    g.bench_function("quanta_now", |b| {
        b.iter(|| {
            let start = clock.now();
            black_box(clock.now().duration_since(start).as_nanos())
        });
    });
    g.finish();
}

/// Runs one scenario `iterations` times (under callgrind).
struct Run {
    want: String,
    iterations: usize,
    found: bool,
}

impl Visit for Run {
    fn visit<S: Scenario>(&mut self, name: &str, n: usize, s: S) {
        if name != self.want {
            return;
        }
        self.found = true;
        verify(&s, n, false);
        let reqs: Vec<S::Req> = (0..self.iterations).map(|_| s.request()).collect();
        let mut out = Vec::with_capacity(self.iterations);
        for req in reqs {
            out.push(measured(&s, req));
        }
        black_box(&out);
    }
}

/// Lists the scenario names.
struct Names(Vec<String>);

impl Visit for Names {
    fn visit<S: Scenario>(&mut self, name: &str, _n: usize, _s: S) {
        self.0.push(name.to_owned());
    }
}

/// Instructions collected inside `measured` for `iterations` requests.
fn instructions(exe: &str, scenario: &str, iterations: usize, dir: &std::path::Path) -> u64 {
    let out = dir.join(format!("{scenario}-{iterations}.out"));
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--toggle-collect=*measured*"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .env("KILN_STATS_RUN", format!("{scenario}:{iterations}"))
        .output()
        .expect("valgrind runs (apt-get install valgrind)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("a callgrind summary line")
}

fn callgrind() {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("kiln-stats-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Names(Vec::new());
    all(&mut names);
    println!("{:<10} {:>14}", "scenario", "instr/request");
    for s in names.0 {
        let one = instructions(exe, &s, 1, &dir);
        let many = instructions(exe, &s, 10_001, &dir);
        #[allow(clippy::cast_precision_loss)]
        let per = (many - one) as f64 / 10_000.0;
        println!("{s:<10} {per:>14.1}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn main() {
    if let Ok(run) = std::env::var("KILN_STATS_RUN") {
        let (want, iterations) = run.split_once(':').expect("SCENARIO:ITERATIONS");
        let mut r = Run {
            want: want.to_owned(),
            iterations: iterations.parse().expect("ITERATIONS"),
            found: false,
        };
        all(&mut r);
        assert!(r.found, "unknown scenario {want}");
        return;
    }
    if std::env::args().any(|a| a == "--callgrind") {
        callgrind();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    clocks(&mut c);
    all(&mut Bench(&mut c));
    c.final_summary();
}
