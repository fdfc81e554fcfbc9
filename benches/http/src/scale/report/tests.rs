//! The report's sections from a fixed set of results.

use super::super::baseline::{Baseline, Percentiles};
use super::super::h2::{H2Run, H2loadOutput};
use super::super::spike::Spike;
use super::super::sweep::Step;
use super::super::{Config, ScaleResults, Section, Skip};
use super::*;
use crate::results::{Latency, Machine};

fn latency(p99: f64) -> Latency {
    Latency {
        p50: p99 / 2.0,
        p99,
        max: p99 * 2.0,
        ..Latency::default()
    }
}

fn step(framework: &str, scenario: Scenario, connections: u32, cpu: f64) -> Step {
    Step {
        framework: framework.into(),
        scenario,
        connections,
        requests: 1000,
        duration_s: 1.0,
        rps: 1000.0,
        latency_us: latency(800.0),
        errors: WrkErrors::default(),
        cpu_us_per_req: cpu,
        server_cpu_util: 0.99,
        peak_rss_kib: 10 * 1024,
        other_util: Some(0.02),
    }
}

fn spike() -> Spike {
    Spike {
        framework: "axum".into(),
        scenario: Scenario::Basic,
        connections: 1000,
        idle_rss_kib: 1024,
        requests: 5,
        duration_s: 1.0,
        rps: 5.0,
        latency_us: latency(9000.0),
        errors: WrkErrors {
            timeout: 7,
            ..WrkErrors::default()
        },
        cpu_us_per_req: 6.0,
        peak_rss_kib: 30 * 1024,
    }
}

fn h2_run() -> H2Run {
    H2Run {
        framework: "kiln".into(),
        scenario: Scenario::Basic,
        connections: 4,
        streams: 100,
        h2load: H2loadOutput {
            rps: 150_000.0,
            succeeded: 10,
            mean_us: 2500.0,
            max_us: 9000.0,
            ..H2loadOutput::default()
        },
        cpu_us_per_req: 3.25,
        server_cpu_util: 1.0,
        peak_rss_kib: 1024,
    }
}

fn results() -> ScaleResults {
    let mut errored = step("kiln", Scenario::Basic, 1000, 5.0);
    errored.errors.connect = 3;
    let run = |workers, cpu| WorkersRun {
        framework: "axum".into(),
        scenario: Scenario::Middleware,
        workers,
        connections: 64,
        requests: 10,
        rps: 100.0,
        latency_us: latency(100.0),
        errors: WrkErrors::default(),
        cpu_us_per_req: cpu,
        server_cpu_util: 1.5,
        peak_rss_kib: 1024,
    };
    ScaleResults {
        date: "2026-12-02T11:00:00Z".into(),
        command: "cargo run -p kiln-http-suite --release --bin scale -- --quick".into(),
        machine: Machine {
            commit: "abc1234".into(),
            ..Machine::default()
        },
        config: Config {
            quick: true,
            sections: Section::ALL.to_vec(),
            frameworks: vec!["kiln".into(), "axum".into(), "hyper".into()],
            duration_s: 1,
            warmup_s: 0,
            connections: vec![1, 1000],
            spike_connections: 1000,
            spike_s: 1,
            latency_requests: 200,
            pause_ms: 2,
            startups: 2,
            worker_connections: 64,
            h2_connections: 4,
            h2_streams: 100,
            server_cpu: Some(0),
            load_cpu: Some(1),
            open_files: 20_000,
            h2load: "h2load nghttp2/1.52.0".into(),
        },
        baseline: vec![Baseline {
            framework: "hyper".into(),
            scenario: Scenario::Basic,
            startup_ms: vec![3.0, 1.0, 2.0],
            rss_started_kib: 2048,
            rss_one_request_kib: 3072,
            idle_latency_us: Percentiles {
                count: 200,
                p50: 41.0,
                p99: 77.0,
                mean: 45.0,
                max: 120.0,
            },
            pause_ms: 2,
        }],
        sweep: vec![
            step("kiln", Scenario::Basic, 1, 4.5),
            errored,
            step("axum", Scenario::Basic, 1, 5.25),
        ],
        spike: vec![spike()],
        h2: vec![h2_run()],
        workers: vec![run(1, 8.0), run(2, 10.0)],
        skipped: vec![Skip {
            framework: "hyper".into(),
            scenario: Scenario::Middleware,
            section: Section::Baseline,
            kind: "unsupported".into(),
            reason: "bare hyper implements the basic scenario only | not middleware".into(),
        }],
        load_average: vec!["0.1 0.2 0.3".into()],
    }
}

#[test]
fn report_has_every_section_and_the_numbers() {
    let md = markdown(&results());
    for heading in [
        "## Baseline",
        "## Connection sweep",
        "### Server CPU µs per request (server core busy %), basic `/`",
        "## Spike",
        "## HTTP/2 (h2c)",
        "## One vs two workers",
        "## Not measured",
    ] {
        assert!(md.contains(heading), "missing {heading}:\n{md}");
    }
    assert!(md.contains("with `--quick`"));
    assert!(
        md.contains("Command: `cargo run -p kiln-http-suite --release --bin scale -- --quick`")
    );
    // Baseline: median of 3 startups, MiB, latency.
    assert!(
        md.contains("| basic `/` | hyper | 2.0 | 3.0 | 2.0 | 3.0 | 41 | 77 | 120 |"),
        "{md}"
    );
    // Sweep: a CPU row with its error flag, and the error listed.
    assert!(md.contains("| kiln | 4.50 (99%) | 5.00 (99%) ⚠ |"), "{md}");
    assert!(md.contains("| axum | 5.25 (99%) | – |"), "{md}");
    assert!(md.contains("kiln basic `/` c=1000: ⚠ 3 connect"), "{md}");
    // Spike errors; HTTP/2 beside the sweep's highest count below 256.
    assert!(md.contains("| ⚠ 7 timeout | 6.00 | 1.0 → 30.0 |"), "{md}");
    assert!(md.contains("in the sweep at c=1 for comparison"), "{md}");
    assert!(
        md.contains("| basic `/` | kiln | 150000 | 3.25 | 100% | 2500 | 9000 | 0 | 4.50 |"),
        "{md}"
    );
    // Workers: both counts and the ratio.
    assert!(
        md.contains("| stack `/` | axum | 100 | 8.00 | 1.50 | 100 | 10.00 | 1.50 | 1.25× |"),
        "{md}"
    );
    // Pipes in reasons are escaped.
    assert!(md.contains("basic scenario only \\| not middleware"));
}

#[test]
fn empty_sections_are_left_out() {
    let mut r = results();
    r.h2.clear();
    r.workers.clear();
    r.skipped.clear();
    r.config.quick = false;
    let md = markdown(&r);
    assert!(
        !md.contains("## HTTP/2")
            && !md.contains("## One vs two")
            && !md.contains("## Not measured")
    );
    assert!(!md.contains("--quick`: a smoke"));
    assert_eq!(h1_reference(&r), Some(1));
    r.config.connections = vec![64, 256, 1000];
    assert_eq!(h1_reference(&r), Some(256));
    r.config.connections = vec![512, 1000];
    assert_eq!(h1_reference(&r), Some(512));
}
