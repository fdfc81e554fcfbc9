//! The kiln peer server of the HTTP benchmarks:
//! `server_kiln --scenario <name> --port <p> [--workers N] [--depth N]`
//! (see `kiln_benches::http_bench::server`; allocation counting via `KILN_BENCH_ALLOC_PORT`).

use kiln_benches::http_bench::alloc::CountingJemalloc;
use kiln_benches::http_bench::{peers, server};

#[global_allocator]
static GLOBAL: CountingJemalloc = CountingJemalloc;

fn main() -> std::process::ExitCode {
    server::main_with("kiln", peers::kiln::serve)
}
