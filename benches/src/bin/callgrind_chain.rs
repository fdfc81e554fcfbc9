//! Runs one scenario `ITERATIONS` times, for instruction counting under
//! callgrind: `callgrind_chain SCENARIO ITERATIONS` (e.g. `kiln-10 10001`).
//! `callgrind_chain list` prints the scenario names.
//!
//! Requests are built before and responses dropped after the measured loop;
//! each request is handled inside [`measured`] (never inlined), so
//! `--toggle-collect='*measured*'` counts only request handling. Subtracting
//! the count for 1 iteration from the count for 10001 and dividing by 10000
//! removes one-time costs (lazy initialisation, the first call's misses).

use std::hint::black_box;
use std::process::ExitCode;

use kiln_benches::{Scenario, Visit, all, name, verify};

/// Handles one request; the only code callgrind counts.
#[inline(never)]
fn measured<S: Scenario>(s: &S, req: S::Req) -> http::Response<S::Body> {
    s.handle(black_box(req))
}

struct Run {
    want: Option<String>,
    iterations: usize,
    found: bool,
}

impl Visit for Run {
    fn visit<S: Scenario>(&mut self, imp: &'static str, n: usize, empty: bool, s: S) {
        let this = name(imp, n, empty);
        let Some(want) = &self.want else {
            println!("{this}");
            return;
        };
        if *want != this {
            return;
        }
        self.found = true;
        verify(&s, n, empty);
        let reqs: Vec<S::Req> = (0..self.iterations).map(|_| s.request()).collect();
        let mut out = Vec::with_capacity(self.iterations);
        for req in reqs {
            out.push(measured(&s, req));
        }
        black_box(&out);
        drop(out);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (want, iterations) = match args.as_slice() {
        [l] if l == "list" => (None, 0),
        [s, i] => match i.parse() {
            Ok(i) => (Some(s.clone()), i),
            Err(e) => {
                eprintln!("bad ITERATIONS {i:?}: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("usage: callgrind_chain SCENARIO ITERATIONS | callgrind_chain list");
            return ExitCode::FAILURE;
        }
    };
    let listing = want.is_none();
    let mut run = Run {
        want,
        iterations,
        found: false,
    };
    all(&mut run);
    if listing || run.found {
        ExitCode::SUCCESS
    } else {
        eprintln!("unknown scenario; see `callgrind_chain list`");
        ExitCode::FAILURE
    }
}
