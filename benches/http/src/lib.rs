//! The HTTP benchmark suite: peer servers, the load harness and the report.
//!
//! The same app is written once per framework (`peers`), run as its own
//! binary (`server_axum`, `server_actix`, `server_hyper`, `server_kiln`) and
//! driven by `wrk` from the `bench` binary, which checks every response
//! against the reference in [`scenario`] before measuring. The `report`
//! binary turns the raw JSON into markdown tables and SVG charts. The
//! `scale` binary ([`scale`]) measures startup, idle memory and latency, a
//! connection sweep, a spike, HTTP/2 and two workers with the same servers.

pub mod alloc;
pub mod app_db;
pub mod cache;
pub mod charts;
pub mod check;
pub mod cli;
pub mod client;
pub mod files;
pub mod fixtures;
pub mod goals;
pub mod harness;
pub mod launch;
pub mod machine;
pub mod peers;
pub mod procfs;
pub mod ratelimit;
pub mod realworld;
pub mod report;
pub mod results;
pub mod scale;
pub mod scenario;
pub mod server;
pub mod shop;
pub mod stats;
pub mod streams;
pub mod summary;
pub mod tasks;
pub mod tfb;
pub mod upstream;
pub mod validation;
pub mod wrk;
