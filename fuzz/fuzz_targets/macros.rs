//! libFuzzer entry for `kiln_fuzz::targets::macros` (see `fuzz/README.md`).
#![no_main]
// `fuzz_target!` exports the `#[no_mangle]` C entry point libFuzzer calls.
#![allow(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kiln_fuzz::targets::macros(data));
