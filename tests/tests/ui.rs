//! Compile-fail and compile-pass tests for kiln's macros.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*/*.rs");
    t.pass("ui/pass/*.rs");
}
