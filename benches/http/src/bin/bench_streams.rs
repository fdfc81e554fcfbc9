//! The stream scenarios of the HTTP suite (`upload`, `sse`, `ws`), kiln
//! against axum; see `kiln_http_suite::streams`.
//!
//! ```sh
//! cargo run -p kiln-http-suite --release --bin bench_streams -- [--quick]
//! ```

use kiln_http_suite::streams::{self, Plan};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let addr = args[2].parse().expect("address");
        streams::serve(&args[1], addr, args[3].clone().into());
        return;
    }
    let plan = if args.iter().any(|a| a == "--quick") {
        Plan::QUICK
    } else {
        Plan::FULL
    };
    let rows = streams::run(plan);
    println!("{}", streams::table(&rows, plan));
}
