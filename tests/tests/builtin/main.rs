//! The built-in middleware, one module each, and the full stack together.

#[path = "../support/mod.rs"]
mod support;

mod access_log;
mod access_log_layer;
mod body_limit;
mod catch_panic;
mod compression;
mod cors;
mod cors_browser;
mod jwt;
mod jwt_cache;
mod rate_limit;
mod redis_rate_limit;
#[path = "../support/redis_server.rs"]
mod redis_server;
mod request_id;
mod security_headers;
mod server_timing;
mod stack;
mod timeout;
