//! Fuzz targets for kiln, as plain functions over bytes.
//!
//! Each target in [`targets`] takes `&[u8]`, turns it into an input of the
//! code under test (a request through a `chain!` app, a header through a
//! built-in's public API, tokens through the macros' parsers) and panics when
//! an invariant breaks: a response status outside what the code documents, a
//! value that the strict decoder should have refused, an `Access-Control-Allow-Origin`
//! for an origin that is not allowed, a forged token that verifies, macro
//! output that is not valid Rust. A panic is what libFuzzer reports as a crash.
//!
//! The same functions run twice:
//! - **coverage-guided**, under libFuzzer on nightly: `fuzz/run.sh` (or
//!   `cargo +nightly fuzz run <target>`), from the binaries in `fuzz_targets/`;
//! - **a short replay on stable**, in CI: `kiln-tests`' `fuzz_replay` test runs
//!   [`replay::run`] for every target — the committed seeds in `fuzz/seeds/`
//!   plus a fixed number of deterministic mutations of them. That pass is not
//!   coverage-guided; it keeps the targets compiling and the found crashes fixed.

pub mod replay;
pub mod targets;

mod support;

/// `kiln-macros`' source compiled as a plain library, so that its parsers and
/// generators can be fuzzed outside rustc.
///
/// A proc-macro crate exports nothing but its macros, so this crate cannot
/// call `kiln-macros` as a dependency. Everything below its one-line entry
/// points (`macros/src/lib.rs`) is plain `proc_macro2` code: these are the
/// macros' own files, included by path, unchanged (not a copy).
#[path = "../../macros/src"]
#[allow(
    dead_code,       // only the entry points are called; the rest is reached through them
    unreachable_pub, // the macros' own visibility, as written
    clippy::pedantic // linted where it lives, in the workspace
)]
mod macros_src {
    pub(crate) mod attr;
    pub(crate) mod chain;
    pub(crate) mod ctxt;
    pub(crate) mod desc;
    pub(crate) mod symbol;
}

// The macros' modules name each other `crate::ctxt`, `crate::desc`, ...
use macros_src::{attr, chain, ctxt, desc, symbol};

/// A target: its name (as in `fuzz_targets/` and `fuzz/seeds/`) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `fuzz/run.sh` runs them.
pub const TARGETS: &[Target] = &[
    ("router", targets::router),
    ("extract", targets::extract),
    ("cors", targets::cors),
    ("client_ip", targets::client_ip),
    ("request_id", targets::request_id),
    ("files", targets::files),
    ("jwt", targets::jwt),
    ("macros", targets::macros),
];
