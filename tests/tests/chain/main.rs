//! The generated chain: order, dependency injection, routing, wrap
//! middleware, `describe()` and stats.

mod describe;
mod di;
mod finish;
mod path_decoding;
mod pipeline_order;
mod routing;
mod stats;
mod wrap;
