//! The framework-free half of the build-time benchmark's app: a small shop
//! (products, categories, reviews, carts, orders, users) kept in memory, the
//! request context the middleware compute (tenant, locale, API version) and
//! the tokens `POST /auth/login` issues.
//!
//! `kiln-buildtime-app` and `axum-buildtime-app` both call into this crate, so
//! the two apps differ only in the framework code they contain, which is what
//! `benches/buildtime.sh` compiles and times (this crate is a dependency,
//! built once).

mod context;
mod model;
mod store;

pub use context::{
    ApiVersion, AuditLog, AuditRow, Flags, Locale, TOKEN_TTL, Tenant, Tenants, issue_token,
};
pub use model::*;
pub use store::{Failure, Store};

/// The HS256 secret both apps sign and verify tokens with.
pub const JWT_SECRET: &[u8] = b"kiln build-time benchmark secret (32+ bytes)";
/// The `iss` claim of the tokens.
pub const JWT_ISSUER: &str = "shop";
/// The CORS origin both apps allow.
pub const ORIGIN: &str = "https://shop.example.com";
