//! The HTTP benchmark harness: builds the peer servers, checks their
//! responses, drives them with `wrk` and writes raw results as JSON.
//!
//! `cargo run -p kiln-http-suite --release --bin bench -- --scenario all|basic|middleware|middleware-depth|di|db|tx|cache|ratelimit-redis
//! [--quick] [--frameworks kiln,axum,actix,hyper,nginx] [--out results.json]`
//! (see `kiln_http_suite::harness::USAGE` for every option).

use std::process::ExitCode;

use kiln_http_suite::harness::{self, Options};

fn main() -> ExitCode {
    let opts = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(64);
        }
    };
    match harness::run(&opts) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}
