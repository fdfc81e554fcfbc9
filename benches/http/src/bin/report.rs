//! Writes the HTTP benchmark report from a `bench` results file: a markdown
//! section and SVG charts.
//!
//! `cargo run -p kiln-http-suite --release --bin report -- results.json
//! [--md benches/results/REPORT.md] [--svg-dir DIR]` (the SVG directory
//! defaults to the markdown file's directory, so the links are relative).

use std::path::PathBuf;
use std::process::ExitCode;

use kiln_http_suite::results::Results;
use kiln_http_suite::{charts, machine, report};

const USAGE: &str = "usage: report <results.json> [--md PATH] [--svg-dir DIR]";

fn run() -> Result<(), String> {
    let mut input = None;
    let mut md = machine::workspace_root().join("benches/results/REPORT.md");
    let mut svg_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--md" => md = PathBuf::from(args.next().ok_or(USAGE)?),
            "--svg-dir" => svg_dir = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
            "-h" | "--help" => return Err(USAGE.into()),
            _ if input.is_none() && !arg.starts_with("--") => input = Some(PathBuf::from(arg)),
            _ => return Err(format!("unknown argument `{arg}`\n{USAGE}")),
        }
    }
    let input = input.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let results: Results =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", input.display()))?;
    let md_dir = md.parent().map(PathBuf::from).unwrap_or_default();
    let svg_dir = svg_dir.unwrap_or_else(|| md_dir.clone());
    let written = charts::write_all(&results, &svg_dir).map_err(|e| format!("charts: {e}"))?;
    // Link the charts relative to the markdown file when they sit beside it.
    let links: Vec<String> = written
        .iter()
        .map(|name| {
            let full = svg_dir.join(name);
            full.strip_prefix(&md_dir)
                .map_or_else(|_| full.display().to_string(), |p| p.display().to_string())
        })
        .collect();
    std::fs::create_dir_all(&md_dir).map_err(|e| format!("{}: {e}", md_dir.display()))?;
    std::fs::write(&md, report::markdown(&results, &links))
        .map_err(|e| format!("{}: {e}", md.display()))?;
    eprintln!(
        "report: wrote {} and {} chart(s) in {}",
        md.display(),
        written.len(),
        svg_dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("report: {e}");
            ExitCode::FAILURE
        }
    }
}
