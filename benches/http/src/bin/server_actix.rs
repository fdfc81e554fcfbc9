//! The actix peer server of the HTTP benchmarks:
//! `server_actix --scenario <name> --port <p> [--workers N] [--depth N]`
//! (see `kiln_http_suite::server`; allocation counting via `KILN_BENCH_ALLOC_PORT`).

use kiln_http_suite::alloc::CountingJemalloc;
use kiln_http_suite::{peers, server};

#[global_allocator]
static GLOBAL: CountingJemalloc = CountingJemalloc;

fn main() -> std::process::ExitCode {
    server::main_with("actix", peers::actix::serve)
}
