//! End to end: `bench --quick --scenario basic --frameworks axum,hyper`, then
//! `report` on its results. Ignored by default: it builds the release
//! servers, needs `wrk` (installed with apt-get when missing; failing to
//! install it fails the test) and takes about a minute.
//!
//! `cargo test -p kiln-http-suite --test http_quick -- --ignored --nocapture`

use std::path::PathBuf;
use std::process::Command;

use kiln_http_suite::results::Results;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
#[ignore = "runs the HTTP benchmark: release build, wrk, about a minute"]
fn quick_basic_run_measures_axum_and_hyper_and_reports() {
    let out = scratch("results.json");
    let run = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args([
            "--quick",
            "--scenario",
            "basic",
            "--frameworks",
            "axum,hyper",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("the bench binary runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "bench failed ({}); if wrk is missing and could not be installed the message below says so:\n{stderr}",
        run.status
    );

    let results: Results =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).expect("valid results JSON");
    assert!(results.skipped.is_empty(), "skipped: {:?}", results.skipped);
    for framework in ["axum", "hyper"] {
        for endpoint in ["hello", "json", "user", "search"] {
            let m = results
                .measurements
                .iter()
                .find(|m| m.key.framework == framework && m.key.endpoint == endpoint)
                .unwrap_or_else(|| panic!("no measurement for {framework} {endpoint}"));
            assert!(m.requests > 1000, "{framework} {endpoint}: {m:?}");
            assert_eq!(m.errors.total(), 0, "{framework} {endpoint}: {m:?}");
            assert!(m.cpu_us_per_req > 0.0 && m.peak_rss_kib > 0, "{m:?}");
            assert!(m.latency_us.p99 >= m.latency_us.p50, "{m:?}");
            let a = results
                .allocations
                .iter()
                .find(|a| a.key == m.key)
                .unwrap_or_else(|| panic!("no allocation count for {framework} {endpoint}"));
            assert!(a.per_request >= 1.0, "{a:?}");
        }
    }
    assert!(results.checked.contains(&"axum basic".to_owned()));

    let md = scratch("REPORT.md");
    let report = Command::new(env!("CARGO_BIN_EXE_report"))
        .arg(&out)
        .arg("--md")
        .arg(&md)
        .output()
        .expect("the report binary runs");
    assert!(
        report.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&report.stderr)
    );
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("| basic/hello |"), "{text}");
    for chart in ["rps_basic.svg", "latency_basic.svg"] {
        assert!(md.with_file_name(chart).exists(), "{chart} missing");
        assert!(text.contains(chart));
    }
    let _ = std::fs::remove_dir_all(md.parent().unwrap());
}
