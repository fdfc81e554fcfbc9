//! The Prometheus text exposition format, version 0.0.4.

use std::fmt::Write as _;

use super::{BUCKET_BOUNDS_NS, ChainStats, RouteStats, Timing};

/// Nanoseconds as seconds.
#[allow(clippy::cast_precision_loss)] // exact below 2^53 ns (104 days)
fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One series: its labels (without braces) and counters.
struct Series<'a> {
    labels: String,
    timing: &'a Timing,
}

fn route_labels(app: &str, r: &RouteStats) -> String {
    format!(
        "app=\"{}\",method=\"{}\",route=\"{}\"",
        escape(app),
        escape(r.method),
        escape(r.pattern.unwrap_or("<unmatched>"))
    )
}

/// Writes the `# HELP`/`# TYPE` header and one line per series.
fn family(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    series: &[Series],
    value: impl Fn(&Timing) -> String,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for s in series {
        let _ = writeln!(out, "{name}{{{}}} {}", s.labels, value(s.timing));
    }
}

/// A histogram family: cumulative `_bucket`s, `_sum` in seconds, `_count`.
fn histogram(out: &mut String, name: &str, help: &str, series: &[Series]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for s in series {
        let mut cumulative = 0;
        for (i, n) in s.timing.buckets.iter().enumerate() {
            cumulative += n;
            let le = BUCKET_BOUNDS_NS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |&b| secs(b).to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{},le=\"{le}\"}} {cumulative}",
                s.labels
            );
        }
        let _ = writeln!(
            out,
            "{name}_sum{{{}}} {}",
            s.labels,
            secs(s.timing.total_ns)
        );
        let _ = writeln!(out, "{name}_count{{{}}} {}", s.labels, s.timing.executions);
    }
}

/// Every family of one level: `runs` names the execution counter, and the
/// help texts say what `what` (route, middleware, handler) counts.
fn level(
    out: &mut String,
    prefix: &str,
    runs: &str,
    what: &str,
    short_help: &str,
    series: &[Series],
) {
    family(
        out,
        runs,
        "counter",
        &format!("Executions of each {what}."),
        series,
        |t| t.executions.to_string(),
    );
    family(
        out,
        &format!("{prefix}_short_circuits_total"),
        "counter",
        short_help,
        series,
        |t| t.short_circuits.to_string(),
    );
    histogram(
        out,
        &format!("{prefix}_duration_seconds"),
        &format!("Time spent in each {what}."),
        series,
    );
    family(
        out,
        &format!("{prefix}_duration_min_seconds"),
        "gauge",
        &format!("The fastest execution of each {what}."),
        series,
        |t| secs(t.min_ns).to_string(),
    );
    family(
        out,
        &format!("{prefix}_duration_max_seconds"),
        "gauge",
        &format!("The slowest execution of each {what}."),
        series,
        |t| secs(t.max_ns).to_string(),
    );
}

/// Renders a snapshot in the text exposition format 0.0.4.
///
/// Families: `kiln_requests_total`, `kiln_request_short_circuits_total`,
/// `kiln_request_duration_seconds` (histogram) and `_min_seconds`/
/// `_max_seconds` gauges per route (labels `app`, `method`, `route`;
/// unmatched requests have `method="*"`, `route="<unmatched>"`); the same
/// for middleware as `kiln_middleware_executions_total`, ... (plus
/// `position`, the 1-based place in the route's pipeline, `middleware` and
/// `phase`) and handlers as `kiln_handler_...` (plus `handler`); then the
/// families of singletons that report [`Counters`](super::Counters).
#[must_use]
pub fn render(stats: &ChainStats) -> String {
    let routes: Vec<&RouteStats> = stats.routes.iter().chain([&stats.unmatched]).collect();
    let requests: Vec<Series> = routes
        .iter()
        .map(|r| Series {
            labels: route_labels(stats.app, r),
            timing: &r.requests,
        })
        .collect();
    let middleware: Vec<Series> = routes
        .iter()
        .flat_map(|r| {
            r.middleware.iter().enumerate().map(|(i, m)| Series {
                labels: format!(
                    "{},position=\"{}\",middleware=\"{}\",phase=\"{}\"",
                    route_labels(stats.app, r),
                    i + 1,
                    escape(m.name),
                    m.phase
                ),
                timing: &m.timing,
            })
        })
        .collect();
    let handlers: Vec<Series> = routes
        .iter()
        .map(|r| Series {
            labels: format!(
                "{},handler=\"{}\"",
                route_labels(stats.app, r),
                escape(r.handler.name.unwrap_or("<fallback>"))
            ),
            timing: &r.handler.timing,
        })
        .collect();
    let mut out = String::new();
    level(
        &mut out,
        "kiln_request",
        "kiln_requests_total",
        "route (requests)",
        "Requests of each route answered before reaching the handler.",
        &requests,
    );
    level(
        &mut out,
        "kiln_middleware",
        "kiln_middleware_executions_total",
        "middleware at each position of each route",
        "Requests that stopped at each middleware: its pre hook failed, or a value it needed could not be built.",
        &middleware,
    );
    level(
        &mut out,
        "kiln_handler",
        "kiln_handler_executions_total",
        "handler",
        "Requests whose handler did not run because an extractor or provider failed.",
        &handlers,
    );
    singleton_counters(&mut out, stats);
    out
}

/// The families of singletons that report [`Counters`](super::Counters):
/// one `# HELP`/`# TYPE` per family, one series per singleton and value,
/// labelled `app`, `singleton` and the family's own label.
fn singleton_counters(out: &mut String, stats: &ChainStats) {
    let mut done: Vec<&str> = Vec::new();
    for first in &stats.counters {
        let family = first.set.family;
        if done.contains(&family) {
            continue;
        }
        done.push(family);
        let _ = writeln!(
            out,
            "# HELP {family} {}\n# TYPE {family} counter",
            first.set.help
        );
        for c in stats.counters.iter().filter(|c| c.set.family == family) {
            for (value, n) in &c.set.values {
                let _ = writeln!(
                    out,
                    "{family}{{app=\"{}\",singleton=\"{}\",{}=\"{}\"}} {n}",
                    escape(stats.app),
                    escape(c.singleton),
                    c.set.label,
                    escape(value)
                );
            }
        }
    }
}
