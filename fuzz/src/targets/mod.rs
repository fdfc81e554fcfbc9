//! The fuzz targets, one module each; each function takes the fuzzer's bytes
//! and panics when an invariant of the code under test breaks.

mod client_ip;
mod cors;
mod extract;
mod files;
mod jwt;
mod macros;
mod request_id;
mod router;

pub use client_ip::client_ip;
pub use cors::cors;
pub use extract::extract;
pub use files::files;
pub use jwt::jwt;
pub use macros::macros;
pub use request_id::request_id;
pub use router::router;
