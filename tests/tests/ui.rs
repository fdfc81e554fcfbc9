//! Compile-fail and compile-pass tests for kiln's macros.
//!
//! One folder per macro; each `.rs` has a blessed `.stderr` (re-bless with
//! `TRYBUILD=overwrite cargo test -p kiln-tests --test ui`, then read the diff).
//! `KILN_UI=provider,chain` runs only those folders (and no pass cases).

#[test]
fn ui() {
    let only = std::env::var("KILN_UI").ok();
    let wanted = |dir: &str| only.as_ref().is_none_or(|o| o.split(',').any(|d| d == dir));
    let t = trybuild::TestCases::new();
    for dir in ["chain", "handler", "middleware", "provider"] {
        if wanted(dir) {
            t.compile_fail(format!("ui/{dir}/*.rs"));
        }
    }
    if wanted("pass") {
        t.pass("ui/pass/*.rs");
    }
}
