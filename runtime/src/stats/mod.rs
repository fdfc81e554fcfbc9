//! Per-route, per-middleware statistics that compile out.
//!
//! An app declared with `options { stats }` counts, for every route, every
//! middleware at every position of that route's pipeline, and every handler:
//! executions, short-circuits, total, minimum and maximum nanoseconds and a
//! latency histogram. Read them with the generated `App::stats()` (a plain
//! [`ChainStats`]), or mount the ready-made handlers [`json`] and
//! [`prometheus`] with one route line each. Without the option `chain!` emits
//! not one instruction for them.
//!
//! ```
//! use kiln::prelude::*;
//!
//! /// Only requests with `x-admin` may read the metrics.
//! #[middleware(priority = 0, pre_route)]
//! fn admin_only(req: &Request) -> Result<(), StatusCode> {
//!     if req.headers().contains_key("x-admin") { Ok(()) } else { Err(StatusCode::FORBIDDEN) }
//! }
//!
//! #[handler]
//! fn hello() -> &'static str { "hello" }
//!
//! chain! {
//!     struct Api;
//!     routes {
//!         GET "/" => hello,
//!         GET "/metrics" => kiln::stats::prometheus with [admin_only],
//!         GET "/stats.json" => kiln::stats::json with [admin_only],
//!     }
//!     options { stats }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Api::new());
//! client.get("/").send().await;
//! assert_eq!(client.get("/metrics").send().await.status(), StatusCode::FORBIDDEN);
//! let metrics = client.get("/metrics").header("x-admin", "1").send().await.text();
//! assert!(metrics.contains(r#"kiln_requests_total{app="Api",method="GET",route="/"} 1"#));
//!
//! let stats = client.app().stats();
//! assert_eq!(stats.routes[0].requests.executions, 1);
//! assert_eq!(stats.routes[1].middleware[0].timing.short_circuits, 1); // the 403
//! # });
//! ```
//!
//! # Why an option and not a cargo feature
//! Cargo features unify across the dependency graph: one crate enabling a
//! `stats` feature would turn statistics on for every app in the build. The
//! option is per app, and an app without it compiles to exactly the code it
//! compiled to before statistics existed (the expansion snapshot and the
//! instruction counts in `BENCHMARKS.md` show it).
//!
//! # What is measured
//! - **route**: each request that matched the route (`HEAD` counts under
//!   `GET`), from after routing to the response; unmatched requests (404/405)
//!   count under [`ChainStats::unmatched`]. A short-circuit is a request
//!   whose response did not come from the handler.
//! - **middleware**, per position in each route: the time of its own hooks,
//!   `pre` and `post` added together for an `impl` middleware with both; a
//!   `wrap` middleware's time includes the rest of the chain it wraps.
//!   A short-circuit is a request that stopped at this position: its pre hook
//!   returned `Err`, or a value it needed (an extractor, a fallible provider)
//!   failed, in which case it did not run.
//! - **handler**: the handler call and its conversion into a response;
//!   short-circuits are extractor or provider failures that kept it from running.
//!
//! Times are wall-clock nanoseconds (an `async` hook's time includes its
//! waits) from the CPU's time-stamp counter through `quanta`: two readings
//! and their difference cost 19 ns on the benchmark machine against 48 ns
//! with `std::time::Instant` (see `BENCHMARKS.md`). The first app with stats
//! in a process calibrates the counter once (about 0.6 ms, in `new`). Each
//! recording is two relaxed atomic adds (time and histogram bucket) plus
//! `fetch_min`/`fetch_max` only when a new extreme is seen.
//!
//! # Threads
//! Counters live in shards, one cache-line-aligned copy of every slot per
//! shard, at least twice as many shards as CPUs. A thread picks its shard
//! once (round robin, through a thread-local) and a request keeps that shard
//! even if its future moves to another worker, so threads do not write to the
//! same cache lines and no count is ever lost (every update is an atomic
//! read-modify-write). Reading merges all shards; a read concurrent with
//! requests may see one counter of a request updated and another not yet.
//!
//! # Protecting the routes
//! The statistics reveal routes and timings: mount them behind a per-route
//! middleware (`with [admin_only]`, as above), or on an app that only listens
//! on a private address.

mod counters;
mod exposition;

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::describe::{Description, Phase, Route};
use crate::{IntoResponse, Json, Response};

pub use counters::{CounterSet, Counters, SingletonCounters};
#[doc(hidden)]
pub use counters::{Ignore, Probe, Report};
pub use exposition::render as prometheus_text;

/// The number of histogram buckets: [`BUCKET_BOUNDS_NS`] and `+Inf`.
pub const BUCKETS: usize = 12;

/// Upper bounds (inclusive) of the finite histogram buckets, in nanoseconds:
/// powers of four from 1.024 µs to 1.07 s (a bucket index is a leading-zero
/// count, not a search). The last bucket is everything above.
pub const BUCKET_BOUNDS_NS: [u64; BUCKETS - 1] = [
    1 << 10,
    1 << 12,
    1 << 14,
    1 << 16,
    1 << 18,
    1 << 20,
    1 << 22,
    1 << 24,
    1 << 26,
    1 << 28,
    1 << 30,
];

/// The bucket of a duration: the first whose bound is at least `ns`.
#[inline]
fn bucket(ns: u64) -> usize {
    // ceil(log2(ns)) for ns > 1024, clamped below at 10: bounds are 2^(10+2i).
    let bits = 64 - (ns.max(1 << 10) - 1).leading_zeros() as usize;
    ((bits - 9) / 2).min(BUCKETS - 1)
}

/// One counter set: 16 words, one 128-byte block (a cache line and the
/// line the adjacent-line prefetcher pairs it with), so shards never share
/// a line.
#[repr(C, align(128))]
struct Slot {
    total: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
    short: AtomicU64,
    /// Executions per latency bucket; their sum is the execution count.
    buckets: [AtomicU64; BUCKETS],
}

impl Slot {
    fn new() -> Slot {
        Slot {
            total: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            short: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// The statistics of one app: what `options { stats }` adds to it.
///
/// Injectable as `&Stats` in handlers and middleware of that app (that is how
/// [`json`] and [`prometheus`] read it).
pub struct Stats {
    desc: &'static Description,
    clock: quanta::Clock,
    shards: Box<[Box<[Slot]>]>,
    /// Singletons that report [`Counters`].
    sources: counters::Sources,
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("app", &self.desc.app)
            .field("shards", &self.shards.len())
            .field("counters", &self.sources.len())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// This thread's shard number (before masking), assigned on first use.
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Hands out shard numbers round robin.
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

fn shard_index() -> usize {
    SHARD.with(|s| {
        let i = s.get();
        if i != usize::MAX {
            return i;
        }
        let i = NEXT_SHARD.fetch_add(1, Relaxed);
        s.set(i);
        i
    })
}

impl Stats {
    /// Empty statistics laid out after `desc`; generated `new` calls it.
    #[doc(hidden)]
    #[must_use]
    pub fn new(desc: &'static Description) -> Stats {
        let slots = desc.stats_slots;
        let cpus = std::thread::available_parallelism().map_or(4, std::num::NonZero::get);
        let shards = (2 * cpus).next_power_of_two().clamp(4, 64);
        Stats {
            desc,
            clock: quanta::Clock::new(),
            shards: (0..shards)
                .map(|_| (0..slots).map(|_| Slot::new()).collect())
                .collect(),
            sources: counters::Sources::default(),
        }
    }

    /// Keeps a singleton's counters; generated `new` calls it (through
    /// [`Probe`]) for every singleton whose type implements [`Counters`].
    pub(crate) fn report(
        &mut self,
        singleton: &'static str,
        source: Box<dyn Counters + Send + Sync>,
    ) {
        self.sources.push(singleton, source);
    }

    /// The reporting singletons' counters, read now.
    #[must_use]
    pub fn counters(&self) -> Vec<SingletonCounters> {
        self.sources.read()
    }

    /// The recorder for the current thread's shard; generated code takes
    /// one per request.
    #[doc(hidden)]
    #[inline]
    #[must_use]
    pub fn recorder(&self) -> Recorder<'_> {
        let i = shard_index() & (self.shards.len() - 1);
        Recorder {
            slots: &self.shards[i],
            clock: &self.clock,
        }
    }

    /// The app's description, which names every counter.
    #[must_use]
    pub fn description(&self) -> &'static Description {
        self.desc
    }

    /// One slot, merged over the shards.
    fn merged(&self, slot: usize) -> Timing {
        let mut t = Timing::default();
        let mut min = u64::MAX;
        for shard in &self.shards {
            let s = &shard[slot];
            t.total_ns += s.total.load(Relaxed);
            t.short_circuits += s.short.load(Relaxed);
            min = min.min(s.min.load(Relaxed));
            t.max_ns = t.max_ns.max(s.max.load(Relaxed));
            for (sum, b) in t.buckets.iter_mut().zip(&s.buckets) {
                *sum += b.load(Relaxed);
            }
        }
        t.executions = t.buckets.iter().sum();
        t.min_ns = if t.executions == 0 { 0 } else { min };
        t
    }

    /// Every counter, merged over the shards.
    #[must_use]
    pub fn snapshot(&self) -> ChainStats {
        let route_stats = |r: &'static Route| {
            let base = r.stats_slot;
            RouteStats {
                method: r.method,
                pattern: r.pattern,
                requests: self.merged(base),
                middleware: r
                    .middleware
                    .iter()
                    .enumerate()
                    .map(|(i, s)| MiddlewareStats {
                        name: s.name,
                        priority: s.priority,
                        phase: s.phase,
                        timing: self.merged(base + 1 + i),
                    })
                    .collect(),
                handler: HandlerStats {
                    name: r.handler.map(|h| h.name),
                    timing: self.merged(base + 1 + r.middleware.len()),
                },
            }
        };
        let routes: Vec<RouteStats> = self.desc.routes.iter().map(route_stats).collect();
        let unmatched = route_stats(&self.desc.unmatched);
        let mut total = Timing::default();
        for r in routes.iter().chain([&unmatched]) {
            total.merge(&r.requests);
        }
        ChainStats {
            app: self.desc.app,
            routes,
            unmatched,
            total,
            counters: self.counters(),
        }
    }
}

/// Writes into one shard of a [`Stats`]; generated code calls it.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Recorder<'a> {
    slots: &'a [Slot],
    clock: &'a quanta::Clock,
}

impl fmt::Debug for Recorder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Recorder")
    }
}

impl Recorder<'_> {
    /// A raw timestamp (time-stamp counter ticks).
    #[inline]
    #[must_use]
    pub fn now(&self) -> u64 {
        self.clock.raw()
    }

    /// Nanoseconds since the raw timestamp `start`.
    #[inline]
    #[must_use]
    pub fn since(&self, start: u64) -> u64 {
        self.clock.delta_as_nanos(start, self.clock.raw())
    }

    /// Records one execution of `slot` that began at `start`.
    #[inline]
    pub fn record(&self, slot: usize, start: u64) {
        self.record_ns(slot, self.since(start));
    }

    /// Records one execution of `slot` that took `ns`.
    #[inline]
    pub fn record_ns(&self, slot: usize, ns: u64) {
        let s = &self.slots[slot];
        s.total.fetch_add(ns, Relaxed);
        s.buckets[bucket(ns)].fetch_add(1, Relaxed);
        // A plain load first: extremes are rare once warm, and a
        // `fetch_min` is a compare-exchange loop on x86.
        if ns < s.min.load(Relaxed) {
            s.min.fetch_min(ns, Relaxed);
        }
        if ns > s.max.load(Relaxed) {
            s.max.fetch_max(ns, Relaxed);
        }
    }

    /// Counts a short-circuit at `site` and for its route.
    #[inline]
    pub fn short(&self, route: usize, site: usize) {
        self.slots[route].short.fetch_add(1, Relaxed);
        self.slots[site].short.fetch_add(1, Relaxed);
    }
}

/// Counters of one route, middleware position or handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timing {
    /// How many times it ran.
    pub executions: u64,
    /// How many requests stopped here (see the [module docs](self)).
    pub short_circuits: u64,
    /// Total nanoseconds over all executions.
    pub total_ns: u64,
    /// The fastest execution; 0 when it never ran.
    pub min_ns: u64,
    /// The slowest execution.
    pub max_ns: u64,
    /// Executions per latency bucket; bounds in [`BUCKET_BOUNDS_NS`], the last is `+Inf`.
    pub buckets: [u64; BUCKETS],
}

impl Timing {
    /// The mean nanoseconds per execution; `None` when it never ran.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // nanosecond totals fit f64's 52 bits for 52 days
    pub fn mean_ns(&self) -> Option<f64> {
        (self.executions > 0).then(|| self.total_ns as f64 / self.executions as f64)
    }

    fn merge(&mut self, other: &Timing) {
        let had = self.executions > 0;
        self.executions += other.executions;
        self.short_circuits += other.short_circuits;
        self.total_ns += other.total_ns;
        if other.executions > 0 {
            self.min_ns = if had {
                self.min_ns.min(other.min_ns)
            } else {
                other.min_ns
            };
        }
        self.max_ns = self.max_ns.max(other.max_ns);
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
    }
}

impl Serialize for Timing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Timing", 7)?;
        st.serialize_field("executions", &self.executions)?;
        st.serialize_field("short_circuits", &self.short_circuits)?;
        st.serialize_field("total_ns", &self.total_ns)?;
        st.serialize_field("min_ns", &self.min_ns)?;
        st.serialize_field("max_ns", &self.max_ns)?;
        st.serialize_field("mean_ns", &self.mean_ns())?;
        st.serialize_field("buckets", &self.buckets)?;
        st.end()
    }
}

/// A snapshot of an app's statistics, from the generated `App::stats()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStats {
    /// The app's type name.
    pub app: &'static str,
    /// The declared routes, in `describe()` order.
    pub routes: Vec<RouteStats>,
    /// Requests no route matched (404/405), through the global middleware.
    pub unmatched: RouteStats,
    /// Every request: the routes' and unmatched counters added up.
    pub total: Timing,
    /// The counters of singletons that report them ([`Counters`]), in
    /// `singletons` order.
    pub counters: Vec<SingletonCounters>,
}

impl Serialize for ChainStats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ChainStats", 6)?;
        st.serialize_field("app", self.app)?;
        st.serialize_field("bucket_bounds_ns", &BUCKET_BOUNDS_NS)?;
        st.serialize_field("total", &self.total)?;
        st.serialize_field("routes", &self.routes)?;
        st.serialize_field("unmatched", &self.unmatched)?;
        st.serialize_field("counters", &self.counters)?;
        st.end()
    }
}

/// One route's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteStats {
    /// `GET`, ...; `"*"` for unmatched requests.
    pub method: &'static str,
    /// The route pattern; `None` for unmatched requests.
    pub pattern: Option<&'static str>,
    /// The whole pipeline, per request.
    pub requests: Timing,
    /// Each middleware, in pipeline order.
    pub middleware: Vec<MiddlewareStats>,
    /// The handler (the 404/405 response for unmatched requests).
    pub handler: HandlerStats,
}

/// One middleware's counters at one position of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MiddlewareStats {
    /// Its name.
    pub name: &'static str,
    /// The priority it runs at in this route.
    pub priority: i32,
    /// When it runs.
    pub phase: Phase,
    /// Its counters.
    #[serde(flatten)]
    pub timing: Timing,
}

/// A handler's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandlerStats {
    /// Its name; `None` for unmatched requests.
    pub name: Option<&'static str>,
    /// Its counters.
    #[serde(flatten)]
    pub timing: Timing,
}

/// A handler serving the app's statistics as JSON ([`ChainStats`]).
///
/// Mount it with `GET "/stats.json" => kiln::stats::json` in an app with
/// `options { stats }`, behind a middleware that restricts who may read it.
#[crate::handler]
#[must_use]
pub fn json(stats: &Stats) -> Response {
    Json(stats.snapshot()).into_response()
}

/// A handler serving the app's statistics in the Prometheus text exposition
/// format 0.0.4: counters of requests, executions and short-circuits, latency
/// histograms, and minimum/maximum gauges; see [`prometheus_text`].
///
/// Mount it with `GET "/metrics" => kiln::stats::prometheus` in an app with
/// `options { stats }`, behind a middleware that restricts who may read it.
#[crate::handler]
pub fn prometheus(stats: &Stats) -> Response {
    let mut res = prometheus_text(&stats.snapshot()).into_response();
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::{BUCKET_BOUNDS_NS, BUCKETS, bucket};

    #[test]
    fn buckets_match_their_bounds() {
        assert_eq!(bucket(0), 0);
        for (i, &b) in BUCKET_BOUNDS_NS.iter().enumerate() {
            assert_eq!(bucket(b), i, "{b} ns is within bound {i}");
            assert_eq!(bucket(b + 1), i + 1, "{} ns is past bound {i}", b + 1);
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }
}
