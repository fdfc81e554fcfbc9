//! The kiln server of the `cache` scenario: one `chain!` app, the expensive
//! handler listed twice, once with `ResponseCache` (default configuration:
//! 60 s TTL, 64 MiB).

use std::sync::atomic::Ordering;

use kiln::builtin::ResponseCache;
use kiln::prelude::*;

use super::super::fixtures::HELLO;
use super::{Computed, work};

#[handler]
fn hello() -> &'static str {
    HELLO
}

#[handler]
fn expensive(computed: &Computed) -> String {
    computed.0.fetch_add(1, Ordering::Relaxed);
    work()
}

#[handler]
fn computed_count(computed: &Computed) -> String {
    computed.0.load(Ordering::Relaxed).to_string()
}

chain! {
    /// `cache`: hello, the expensive handler as it is and cached, the counter.
    pub struct CacheApp;
    singletons { cache: ResponseCache, computed: Computed }
    routes {
        GET "/hello" => hello,
        GET "/uncached" => expensive,
        GET "/cached" => expensive with [kiln::builtin::ResponseCache],
        GET "/computed" => computed_count,
    }
}

/// The app, with a fresh cache and counter.
#[must_use]
pub fn app() -> CacheApp {
    CacheApp::new(CacheAppSingletons {
        cache: ResponseCache::default(),
        computed: Computed::default(),
    })
}
