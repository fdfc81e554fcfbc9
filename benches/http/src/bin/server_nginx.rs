//! nginx as a peer of the HTTP benchmarks (the `files` scenario only):
//! `server_nginx --scenario files --port <p>` writes a one-process config and
//! execs nginx (see `kiln_http_suite::peers::nginx`).

use kiln_http_suite::{peers, server};

fn main() -> std::process::ExitCode {
    server::main_with("nginx", peers::nginx::serve)
}
