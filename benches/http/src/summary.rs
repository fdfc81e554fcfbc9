//! Rounds folded into medians with min–max spreads, per framework, case,
//! endpoint and connection count; the input of the report and the charts.

use std::collections::BTreeMap;

use super::results::{Key, Results};
use super::scenario::Scenario;
use super::stats::Spread;

/// The medians of one framework/endpoint at one connection count.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Requests per second.
    pub rps: Spread,
    /// Median latency, µs.
    pub p50: Spread,
    /// 90th percentile latency, µs.
    pub p90: Spread,
    /// 99th percentile latency, µs.
    pub p99: Spread,
    /// 99.9th percentile latency, µs.
    pub p999: Spread,
    /// Server CPU per request, µs.
    pub cpu: Spread,
    /// Server CPU utilisation (1.0 = one core).
    pub util: Spread,
    /// Peak RSS, KiB.
    pub rss_kib: Spread,
    /// Other processes' CPU time on the server's CPU over wall time.
    pub other_util: Option<Spread>,
    /// The database server's CPU per request, µs (Postgres runs only).
    pub db_cpu: Option<Spread>,
    /// Rounds folded in.
    pub rounds: usize,
    /// `wrk` errors over all rounds.
    pub errors: u64,
}

#[cfg(test)]
impl Row {
    /// A one-round row with these CPU figures and fixed everything else (tests).
    pub(crate) fn fixture(cpu: f64, db_cpu: Option<f64>) -> Row {
        let s = |v| Spread::of(&[v]).unwrap();
        Row {
            rps: s(1000.0),
            p50: s(1.0),
            p90: s(2.0),
            p99: s(3.0),
            p999: s(4.0),
            cpu: s(cpu),
            util: s(1.0),
            rss_kib: s(1.0),
            other_util: None,
            db_cpu: db_cpu.map(s),
            rounds: 1,
            errors: 0,
        }
    }
}

/// Every row of a results file.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Timed rows by key and connection count.
    pub rows: BTreeMap<(Key, u32), Row>,
    /// Allocations per request by key.
    pub allocs: BTreeMap<Key, Spread>,
}

#[allow(clippy::cast_precision_loss)] // KiB counts far below 2^52
fn kib(v: u64) -> f64 {
    v as f64
}

impl Summary {
    /// Folds the rounds of `results`.
    #[must_use]
    pub fn of(results: &Results) -> Summary {
        let mut groups: BTreeMap<(Key, u32), Vec<&super::results::Measurement>> = BTreeMap::new();
        for m in &results.measurements {
            groups
                .entry((m.key.clone(), m.connections))
                .or_default()
                .push(m);
        }
        let rows = groups
            .into_iter()
            .filter_map(|(k, ms)| {
                let s = |f: &dyn Fn(&super::results::Measurement) -> f64| {
                    Spread::of(&ms.iter().map(|m| f(m)).collect::<Vec<_>>())
                };
                Some((
                    k,
                    Row {
                        rps: s(&|m| m.rps)?,
                        p50: s(&|m| m.latency_us.p50)?,
                        p90: s(&|m| m.latency_us.p90)?,
                        p99: s(&|m| m.latency_us.p99)?,
                        p999: s(&|m| m.latency_us.p999)?,
                        cpu: s(&|m| m.cpu_us_per_req)?,
                        util: s(&|m| m.server_cpu_util)?,
                        rss_kib: s(&|m| kib(m.peak_rss_kib))?,
                        other_util: Spread::of(
                            &ms.iter().filter_map(|m| m.other_util).collect::<Vec<_>>(),
                        ),
                        db_cpu: Spread::of(
                            &ms.iter()
                                .filter_map(|m| m.db_cpu_us_per_req)
                                .collect::<Vec<_>>(),
                        ),
                        rounds: ms.len(),
                        errors: ms.iter().map(|m| m.errors.total()).sum(),
                    },
                ))
            })
            .collect();
        let mut alloc_groups: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
        for a in &results.allocations {
            alloc_groups
                .entry(a.key.clone())
                .or_default()
                .push(a.per_request);
        }
        let allocs = alloc_groups
            .into_iter()
            .filter_map(|(k, v)| Some((k, Spread::of(&v)?)))
            .collect();
        Summary { rows, allocs }
    }

    /// The row of a framework at a connection count, for the same case and
    /// endpoint as `key`.
    #[must_use]
    pub fn row_for(&self, key: &Key, framework: &str, connections: u32) -> Option<&Row> {
        let k = Key {
            framework: framework.to_owned(),
            ..key.clone()
        };
        self.rows.get(&(k, connections))
    }

    /// The bare-hyper row to compare `key` with: the same endpoint if hyper
    /// serves it, else hyper's `basic/hello` (the physical limit).
    #[must_use]
    pub fn hyper_row(&self, key: &Key, connections: u32) -> Option<&Row> {
        self.row_for(key, "hyper", connections).or_else(|| {
            let hello = Key {
                framework: "hyper".into(),
                scenario: Scenario::Basic,
                variant: None,
                endpoint: "hello".into(),
            };
            self.rows.get(&(hello, connections))
        })
    }

    /// Frameworks present, in the harness's order.
    #[must_use]
    pub fn frameworks(&self) -> Vec<String> {
        super::harness::FRAMEWORKS
            .iter()
            .filter(|f| self.rows.keys().any(|(k, _)| k.framework == **f))
            .map(|f| (*f).to_owned())
            .collect()
    }

    /// Connection counts present, ascending.
    #[must_use]
    pub fn connections(&self) -> Vec<u32> {
        let mut c: Vec<u32> = self.rows.keys().map(|(_, c)| *c).collect();
        c.sort_unstable();
        c.dedup();
        c
    }

    /// `(scenario, variant, endpoint)` triples present, in scenario order
    /// then first appearance.
    #[must_use]
    pub fn endpoints(&self, results: &Results) -> Vec<(Scenario, Option<String>, String)> {
        let mut out: Vec<(Scenario, Option<String>, String)> = Vec::new();
        for m in &results.measurements {
            let e = (
                m.key.scenario,
                m.key.variant.clone(),
                m.key.endpoint.clone(),
            );
            if !out.contains(&e) {
                out.push(e);
            }
        }
        out.sort_by_key(|e| Scenario::ALL.iter().position(|s| *s == e.0));
        out
    }
}
