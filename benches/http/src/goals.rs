//! The serving goals (issue 15) checked against one run: every goal row with
//! what was measured, the target and whether it is met, at each connection
//! count. Medians over rounds; a row whose inputs were not measured is left
//! out, so a partial run shows only what it can decide.

use std::fmt::Write as _;

use super::results::Key;
use super::scenario::Scenario;
use super::summary::{Row, Summary};

/// One goal row at one connection count (`None` for allocations, which are
/// counted once per endpoint).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What is compared, as the issue states it.
    pub goal: String,
    /// The connection count, if the figure depends on it.
    pub connections: Option<u32>,
    /// The measured figure, formatted.
    pub measured: String,
    /// The bound it must not exceed, formatted.
    pub target: String,
    /// Whether the measured figure is within the bound.
    pub met: bool,
}

fn key(framework: &str, scenario: Scenario, endpoint: &str) -> Key {
    Key {
        framework: framework.to_owned(),
        scenario,
        variant: None,
        endpoint: endpoint.to_owned(),
    }
}

/// kiln's bare `/hello` and its middleware stack's two routes.
const HELLO: (Scenario, &str) = (Scenario::Basic, "hello");
const STACK: (Scenario, &str) = (Scenario::Middleware, "public");
const JWT: (Scenario, &str) = (Scenario::Middleware, "protected");
/// The peers a stack scenario is compared with (bare hyper has no stack).
const PEERS: [&str; 2] = ["axum", "actix"];
/// Allocation counts are averages over a run, so a bound allows the odd
/// allocation a connection's set-up spreads over it (8.01 is 8 per request).
const SETUP_SLACK: f64 = 0.1;
/// The JWT route's CPU bound against each peer's.
const JWT_BOUNDS: [(&str, f64); 2] = [("axum", 0.45), ("actix", 0.60)];

struct Goals<'a> {
    summary: &'a Summary,
    out: Vec<Check>,
}

impl Goals<'_> {
    fn row(&self, framework: &str, (scenario, endpoint): (Scenario, &str), c: u32) -> Option<&Row> {
        self.summary
            .rows
            .get(&(key(framework, scenario, endpoint), c))
    }

    fn push(&mut self, goal: String, c: Option<u32>, measured: String, target: String, met: bool) {
        self.out.push(Check {
            goal,
            connections: c,
            measured,
            target,
            met,
        });
    }

    /// `kiln's figure ÷ other's figure ≤ bound`.
    fn ratio(&mut self, goal: &str, c: u32, kiln: Option<f64>, other: Option<f64>, bound: f64) {
        if let (Some(k), Some(o)) = (kiln, other)
            && o > 0.0
        {
            let r = k / o;
            self.push(
                goal.to_owned(),
                Some(c),
                format!("{r:.2}× ({k:.2} ÷ {o:.2})"),
                format!("≤ {bound:.2}×"),
                r <= bound,
            );
        }
    }

    /// kiln's figure against the lowest of the peers that were measured.
    fn best_peer(
        &mut self,
        goal: &str,
        c: u32,
        kiln: Option<f64>,
        peers: &[(&str, f64)],
        unit: &str,
    ) {
        let Some(k) = kiln else { return };
        let Some((name, best)) = peers.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
            return;
        };
        self.push(
            goal.to_owned(),
            Some(c),
            format!("{k:.0} {unit}"),
            format!("≤ {best:.0} {unit} ({name})"),
            k <= *best,
        );
    }

    fn cpu_and_p99(&mut self, c: u32) {
        let cpu = |g: &Self, f, e| g.row(f, e, c).map(|r| r.cpu.median);
        let p99 = |g: &Self, f, e| g.row(f, e, c).map(|r| r.p99.median);
        let hyper_cpu = cpu(self, "hyper", HELLO);
        self.ratio(
            "stack `/` CPU ÷ bare hyper `/hello`",
            c,
            cpu(self, "kiln", STACK),
            hyper_cpu,
            1.10,
        );
        for (peer, bound) in JWT_BOUNDS {
            let goal = format!("JWT route CPU ÷ {peer}'s");
            self.ratio(
                &goal,
                c,
                cpu(self, "kiln", JWT),
                cpu(self, peer, JWT),
                bound,
            );
        }
        let hyper_p99 = p99(self, "hyper", HELLO);
        self.ratio(
            "p99 `/hello` (no middleware) ÷ bare hyper's",
            c,
            p99(self, "kiln", HELLO),
            hyper_p99,
            1.2,
        );
        self.ratio(
            "p99 stack `/` ÷ bare hyper `/hello`",
            c,
            p99(self, "kiln", STACK),
            hyper_p99,
            1.2,
        );
        for (name, route) in [("stack `/`", STACK), ("JWT route", JWT)] {
            let peers: Vec<(&str, f64)> = PEERS
                .iter()
                .filter_map(|&p| Some((p, p99(self, p, route)?)))
                .collect();
            let goal = format!("p99 {name} ≤ the best peer's");
            self.best_peer(&goal, c, p99(self, "kiln", route), &peers, "µs");
        }
    }

    /// Peak RSS of every kiln endpoint against every other framework's on it.
    fn rss(&mut self, c: u32) {
        let summary = self.summary;
        for ((k, conns), row) in &summary.rows {
            if k.framework != "kiln" || *conns != c {
                continue;
            }
            let peers: Vec<(&str, f64)> = super::harness::FRAMEWORKS
                .iter()
                .filter(|f| **f != "kiln")
                .filter_map(|f| Some((*f, summary.row_for(k, f, c)?.rss_kib.median)))
                .collect();
            let case = match &k.variant {
                Some(v) => format!("{}/{v}/{}", k.scenario, k.endpoint),
                None => format!("{}/{}", k.scenario, k.endpoint),
            };
            let goal = format!("peak RSS {case} ≤ the best peer's");
            self.best_peer(&goal, c, Some(row.rss_kib.median), &peers, "KiB");
        }
    }

    fn allocations(&mut self) {
        let allocs = |f, (s, e)| self.summary.allocs.get(&key(f, s, e)).map(|a| a.median);
        if let (Some(k), Some(h)) = (allocs("kiln", HELLO), allocs("hyper", HELLO)) {
            let met = k <= h + SETUP_SLACK;
            self.push(
                "allocations `/hello` = bare hyper's".into(),
                None,
                format!("{k:.1}"),
                format!("{h:.1}"),
                met,
            );
        }
        if let Some(k) = allocs("kiln", JWT) {
            self.push(
                "allocations JWT route".into(),
                None,
                format!("{k:.1}"),
                "≤ 8".into(),
                k <= 8.0 + SETUP_SLACK,
            );
        }
    }
}

/// Every goal row the summary can decide, in the order.
#[must_use]
pub fn checks(summary: &Summary) -> Vec<Check> {
    let mut g = Goals {
        summary,
        out: Vec::new(),
    };
    for c in summary.connections() {
        g.cpu_and_p99(c);
    }
    g.allocations();
    for c in summary.connections() {
        g.rss(c);
    }
    g.out
}

/// Appends the goals table, if the run measured any goal.
pub fn section(md: &mut String, summary: &Summary) {
    let checks = checks(summary);
    if checks.is_empty() {
        return;
    }
    let met = checks.iter().filter(|c| c.met).count();
    let _ = writeln!(
        md,
        "\n### Serving goals (issue 15): {met} of {} rows met\n\n\
         Medians over rounds. CPU is the server's per request; the stack is the `middleware` \
         scenario (CORS, request id, access log, security headers, rate limit; the JWT route adds \
         HS256 verification). Peers are compared on the same endpoint; bare hyper serves only \
         `basic`.\n\n\
         | goal | conns | measured | target | met |\n| --- | ---: | ---: | ---: | :---: |",
        checks.len()
    );
    for c in &checks {
        let conns = c
            .connections
            .map_or_else(|| "–".to_owned(), |c| c.to_string());
        let mark = if c.met { "yes" } else { "**no**" };
        let _ = writeln!(
            md,
            "| {} | {conns} | {} | {} | {mark} |",
            c.goal, c.measured, c.target
        );
    }
    if met < checks.len() {
        let _ = writeln!(
            md,
            "\nRows not met are profiled in BENCHMARKS.md (\"Rows not met: where the time goes, and \
             what it would take\"); `bash benches/profile.sh` repeats the profiles."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Spread;

    fn row(cpu: f64, p99: f64, rss: f64) -> Row {
        let mut r = Row::fixture(cpu, None);
        r.p99 = Spread::of(&[p99]).unwrap();
        r.rss_kib = Spread::of(&[rss]).unwrap();
        r
    }

    fn summary() -> Summary {
        let mut s = Summary::default();
        let mut put = |f: &str, (sc, e): (Scenario, &str), r: Row| {
            s.rows.insert((key(f, sc, e), 64), r);
        };
        put("hyper", HELLO, row(10.0, 500.0, 4000.0));
        put("kiln", HELLO, row(10.5, 700.0, 5000.0));
        put("axum", HELLO, row(11.0, 600.0, 4500.0));
        put("kiln", STACK, row(10.9, 590.0, 6000.0));
        put("axum", STACK, row(20.0, 800.0, 6500.0));
        put("actix", STACK, row(15.0, 580.0, 6800.0));
        put("kiln", JWT, row(9.0, 600.0, 6000.0));
        put("axum", JWT, row(20.0, 900.0, 6500.0));
        put("actix", JWT, row(15.0, 700.0, 6800.0));
        s.allocs
            .insert(key("kiln", HELLO.0, HELLO.1), Spread::of(&[2.0]).unwrap());
        s.allocs
            .insert(key("hyper", HELLO.0, HELLO.1), Spread::of(&[2.0]).unwrap());
        s.allocs
            .insert(key("kiln", JWT.0, JWT.1), Spread::of(&[9.0]).unwrap());
        s
    }

    fn met(checks: &[Check], goal: &str) -> bool {
        checks
            .iter()
            .find(|c| c.goal == goal)
            .unwrap_or_else(|| panic!("no row `{goal}`"))
            .met
    }

    #[test]
    fn each_goal_is_decided_from_the_medians() {
        let c = checks(&summary());
        assert!(met(&c, "stack `/` CPU ÷ bare hyper `/hello`")); // 1.09
        assert!(met(&c, "JWT route CPU ÷ axum's")); // 0.45
        assert!(met(&c, "JWT route CPU ÷ actix's")); // 0.60
        assert!(!met(&c, "p99 `/hello` (no middleware) ÷ bare hyper's")); // 1.4
        assert!(met(&c, "p99 stack `/` ÷ bare hyper `/hello`")); // 1.18
        assert!(!met(&c, "p99 stack `/` ≤ the best peer's")); // actix 580
        assert!(met(&c, "p99 JWT route ≤ the best peer's"));
        assert!(met(&c, "allocations `/hello` = bare hyper's"));
        assert!(!met(&c, "allocations JWT route"));
        assert!(!met(&c, "peak RSS basic/hello ≤ the best peer's")); // hyper 4000
        assert!(met(&c, "peak RSS middleware/public ≤ the best peer's"));
    }

    #[test]
    fn an_allocation_bound_allows_only_connection_set_up() {
        let with = |n: f64| {
            let mut s = summary();
            s.allocs
                .insert(key("kiln", JWT.0, JWT.1), Spread::of(&[n]).unwrap());
            met(&checks(&s), "allocations JWT route")
        };
        assert!(with(8.01));
        assert!(!with(8.2));
    }

    #[test]
    fn a_goal_without_its_inputs_is_left_out() {
        let mut s = summary();
        s.rows.retain(|(k, _), _| k.framework != "hyper");
        s.allocs.retain(|k, _| k.framework != "hyper");
        let c = checks(&s);
        assert!(c.iter().all(|c| !c.goal.contains("bare hyper")));
        assert!(c.iter().any(|c| c.goal.starts_with("JWT route")));
    }
}
