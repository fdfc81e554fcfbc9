//! `kiln::cache`: the typed `Cache` (single-flight loads, TTL, tags), the
//! `ResponseCache` built-in (what is stored and what never is, `Vary`,
//! `ETag`/304, tags, credentials), invalidation after a commit, and
//! `RedisCache` shared by two instances on a real Redis.

mod after_commit;
mod credentials;
mod expiry;
mod redis;
#[path = "../support/redis_server.rs"]
mod redis_server;
mod response;
mod store;
