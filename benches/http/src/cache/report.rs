//! The `cache` scenario's section of the report: per framework, the CPU per
//! request of `/hello`, `/uncached` and `/cached`, the hit ratio of the
//! cached runs, and a hit's cost over a static `/hello` (issue 14's goal:
//! within 1.2×).

use std::fmt::Write as _;

use super::super::results::{Key, Results};
use super::super::scenario::Scenario;
use super::super::stats::Spread;
use super::super::summary::Summary;

fn key(framework: &str, endpoint: &str) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario: Scenario::Cache,
        variant: None,
        endpoint: endpoint.to_owned(),
    }
}

/// Appends the section, if the results have `cache` runs at `reference`
/// connections.
pub fn section(
    md: &mut String,
    results: &Results,
    summary: &Summary,
    frameworks: &[String],
    reference: u32,
) {
    let cpu = |f: &str, e: &str| {
        summary
            .rows
            .get(&(key(f, e), reference))
            .map(|r| r.cpu.median)
    };
    let hits = |f: &str| {
        let k = key(f, "cached");
        let ratios: Vec<f64> = results
            .measurements
            .iter()
            .filter(|m| m.key == k && m.connections == reference)
            .filter_map(|m| m.hit_ratio)
            .collect();
        Spread::of(&ratios).map(|s| s.median)
    };
    let measured: Vec<&String> = frameworks
        .iter()
        .filter(|f| cpu(f, "cached").is_some())
        .collect();
    if measured.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Response cache: a hit against a static route (c={reference})\n\n\
         Server CPU µs per request (medians). `/uncached` runs a handler that costs about 1 ms \
         of CPU; `/cached` is the same handler behind kiln's `ResponseCache` or, for axum, a \
         hand-written moka layer; the hit ratio is `1 - handler runs / requests` over the timed \
         runs.\n"
    );
    let _ = writeln!(
        md,
        "| framework | `/hello` | `/uncached` | `/cached` | hit ratio | hit ÷ hello |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"));
    for f in measured {
        let (hello, cached) = (cpu(f, "hello"), cpu(f, "cached"));
        let over = match (cached, hello) {
            (Some(c), Some(h)) if h > 0.0 => format!("{:.2}×", c / h),
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            md,
            "| {f} | {} | {} | {} | {} | {over} |",
            cell(hello),
            cell(cpu(f, "uncached")),
            cell(cached),
            hits(f).map_or_else(|| "–".to_owned(), |h| format!("{:.2}%", h * 100.0)),
        );
    }
}
