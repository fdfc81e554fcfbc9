//! Compile-fail and compile-pass tests for kiln's macros.
//!
//! One folder per macro; each `.rs` has a blessed `.stderr` (re-bless with
//! `TRYBUILD=overwrite cargo test -p kiln-tests --test ui`, then read the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for dir in ["chain", "handler", "middleware", "provider"] {
        t.compile_fail(format!("ui/{dir}/*.rs"));
    }
    t.pass("ui/pass/*.rs");
}
