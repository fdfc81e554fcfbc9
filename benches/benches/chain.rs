//! Per-request cost of 0, 1, 5 and 10 middleware: kiln vs hand-written, boxed,
//! tower and axum. See `kiln_benches` for what each scenario does.
//!
//! Run: `cargo bench -p kiln-benches --bench chain -- --warm-up-time 1 --measurement-time 2`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kiln_benches::{Scenario, Visit, all, verify};

struct Bench<'a>(&'a mut Criterion);

impl Visit for Bench<'_> {
    fn visit<S: Scenario>(&mut self, imp: &'static str, n: usize, empty: bool, s: S) {
        verify(&s, n, empty);
        let group = if empty { "empty" } else { "chain" };
        let mut g = self.0.benchmark_group(group);
        // Request construction and response drop stay outside the timing.
        g.bench_function(format!("{imp}/{n}"), |b| {
            b.iter_batched(|| s.request(), |req| s.handle(req), BatchSize::SmallInput);
        });
        g.finish();
    }
}

fn chain(c: &mut Criterion) {
    all(&mut Bench(c));
}

criterion_group!(benches, chain);
criterion_main!(benches);
