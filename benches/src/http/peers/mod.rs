//! The same app written once per framework. Each module has a
//! `serve(&ServerArgs)` that binds 127.0.0.1 and serves one scenario until the
//! process is killed, or returns `Unsupported` for a scenario it lacks.

pub mod actix;
pub mod axum;
pub mod hyper;
pub mod kiln;
pub mod nginx;
