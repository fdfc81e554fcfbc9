//! The fuzz targets' short pass on stable: each target of `fuzz/` runs its
//! committed seeds (`fuzz/seeds/<target>/`, every crash ever found among
//! them) and a fixed number of deterministic blind mutations of them.
//!
//! Not coverage-guided: that is `fuzz/run.sh` (libFuzzer, nightly); see
//! `fuzz/README.md`. `KILN_FUZZ_MUTATIONS=N` changes the number of mutated
//! inputs per target (default 1000), e.g.
//! `KILN_FUZZ_MUTATIONS=20000 cargo test -p kiln-tests --release --test fuzz_replay`.

fn mutations() -> usize {
    std::env::var("KILN_FUZZ_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn replay(name: &str) {
    let &(_, target) = kiln_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a target of kiln_fuzz::TARGETS");
    match kiln_fuzz::replay::run(name, target, mutations()) {
        Ok(s) => eprintln!(
            "{name}: {} seeds, {} mutations, no panic",
            s.seeds, s.mutated
        ),
        Err(e) => panic!("{e}"),
    }
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            replay(stringify!($name));
        }
    )*};
}

targets!(
    router, extract, cors, client_ip, request_id, files, jwt, macros
);

#[test]
fn every_target_has_a_test_here() {
    let here = [
        "router",
        "extract",
        "cors",
        "client_ip",
        "request_id",
        "files",
        "jwt",
        "macros",
    ];
    for (name, _) in kiln_fuzz::TARGETS {
        assert!(
            here.contains(name),
            "add `{name}` to `targets!` in this file"
        );
    }
}
