//! The generated chain: order, dependency injection, routing, wrap
//! middleware, `describe()` and stats.

mod describe;
mod di;
mod finish;
mod pipeline_order;
mod routing;
mod stats;
mod wrap;
