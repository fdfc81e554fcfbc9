//! CORS (the fetch standard's CORS protocol): preflight answers and the
//! headers of actual responses, for an allow-list of origins.
//!
//! `origins` holds the allow-list and decides for a request's origin,
//! `protocol` the middleware and the headers it answers with, `builder` the
//! checked configuration.

mod builder;
mod origins;
mod protocol;

pub use builder::CorsBuilder;
pub use origins::CorsDecision;
pub use protocol::Cors;
