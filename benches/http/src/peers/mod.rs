//! The same app written once per framework. Each module has a
//! `serve(&ServerArgs)` that binds 127.0.0.1 and serves one scenario until the
//! process is killed, or returns `Unsupported` for a scenario it lacks.

pub mod actix;
pub mod actix_db;
pub mod axum;
pub mod axum_db;
pub mod hyper;
pub mod hyper_pg;
pub mod kiln;
pub mod kiln_db;
pub mod nginx;
