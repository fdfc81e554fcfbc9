//! `kiln::cache`: the typed `Cache` (single-flight loads, TTL, tags), the
//! `ResponseCache` built-in (what is stored and what never is, `Vary`,
//! `ETag`/304, tags, credentials), and invalidation after a commit.

mod after_commit;
mod credentials;
mod expiry;
mod response;
mod store;
