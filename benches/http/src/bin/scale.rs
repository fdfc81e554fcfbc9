//! The scale benchmarks of issue 15: startup, idle RSS and latency, a
//! connection sweep, a spike of 1,000 connections, HTTP/2 with h2load and
//! one vs two workers, for kiln, axum, actix-web and bare hyper (see
//! `kiln_http_suite::scale`).
//!
//! `cargo run -p kiln-http-suite --release --bin scale -- [--quick]` writes
//! `benches/results/scale/scale.json` and `REPORT.md`;
//! `scale --report-from scale.json` only rewrites the report. See
//! `kiln_http_suite::scale::USAGE` for every option.

use std::path::Path;
use std::process::ExitCode;

use kiln_http_suite::scale::{self, Options, ScaleResults};

fn report_only(input: &Path, out_dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let results: ScaleResults =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", input.display()))?;
    let path = scale::write_report(&results, out_dir)?;
    eprintln!("scale: wrote {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match Options::parse(args.iter().cloned()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("scale: {e}");
            return ExitCode::from(64);
        }
    };
    let outcome = match &opts.report_from {
        Some(input) => report_only(input, &opts.out_dir),
        None => scale::run(&opts, &args).map(|_| ()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: error: {e}");
            ExitCode::FAILURE
        }
    }
}
