//! A bounded cache of verified tokens for [`JwtAuth`](super::JwtAuth)'s
//! middleware: a token seen before skips signature verification and claim
//! decoding, and its `exp`/`nbf` are checked again against the clock on
//! every hit.
//!
//! Hand-rolled (one mutex over a `HashMap`) rather than `moka`: the cache
//! needs only get/insert with a size bound, a hit must not allocate beyond
//! cloning the claims, and `moka` would pull its runtime (and its
//! per-insert allocations) into every app with the `jwt` feature.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::hint::black_box;
use std::sync::{Arc, Mutex, PoisonError};

use super::JwtClaims;

/// One verified token and what it decoded to.
#[derive(Debug)]
struct Entry {
    /// The whole token, compared in constant time on a hit (the map is
    /// keyed by its hash, and a forged token may share a prefix or a hash).
    token: Box<[u8]>,
    claims: JwtClaims,
}

/// The cache; clones of a [`JwtAuth`](super::JwtAuth) share it, as they
/// share its keys.
#[derive(Debug, Clone)]
pub(super) struct TokenCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    leeway: u64,
    validate_nbf: bool,
    /// Keyed per process (SipHash with a random key): who sends tokens
    /// cannot aim at one bucket.
    hasher: RandomState,
    map: Mutex<HashMap<u64, Entry>>,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens, applying the verifier's
    /// `leeway` and `nbf` policy on every hit.
    pub(super) fn new(capacity: usize, leeway: u64, validate_nbf: bool) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                capacity,
                leeway,
                validate_nbf,
                hasher: RandomState::new(),
                // Grown on demand: an idle verifier costs no memory.
                map: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The claims of `token` if it was verified before and is still within
    /// `exp`/`nbf` at `now` (seconds since the epoch). A token past its
    /// expiry is dropped, so the caller verifies it again and rejects it.
    pub(super) fn get(&self, token: &str, now: u64) -> Option<JwtClaims> {
        let key = self.inner.hasher.hash_one(token.as_bytes());
        let mut map = self
            .inner
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = map.get(&key)?;
        if !same_bytes(&entry.token, token.as_bytes()) {
            return None;
        }
        if !self.inner.current(&entry.claims, now) {
            map.remove(&key);
            return None;
        }
        Some(entry.claims.clone())
    }

    /// Remembers a token that just passed verification. When full, drops
    /// the expired entries, or else an arbitrary one.
    pub(super) fn insert(&self, token: &str, claims: &JwtClaims, now: u64) {
        let key = self.inner.hasher.hash_one(token.as_bytes());
        let mut map = self
            .inner
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.inner.capacity && !map.contains_key(&key) {
            map.retain(|_, e| self.inner.current(&e.claims, now));
            if map.len() >= self.inner.capacity {
                let Some(&victim) = map.keys().next() else {
                    return;
                };
                map.remove(&victim);
            }
        }
        map.insert(
            key,
            Entry {
                token: token.as_bytes().into(),
                claims: claims.clone(),
            },
        );
    }

    /// How many tokens are cached.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.inner.map.lock().unwrap().len()
    }
}

/// `a == b` in a time that depends on the lengths only: every byte is
/// compared, eight at a time, and the accumulated difference goes through
/// `black_box` at each step so the compiler cannot stop at the first
/// difference. `subtle`'s slice comparison (used before) does the same a
/// byte at a time through an out-of-line barrier: this saves 1,559 of the
/// 6,609 instructions of a cached request (`builtin/jwt/hs256` in
/// `benches/callgrind-baseline.txt`).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (words_a, rest_a) = a.as_chunks::<8>();
    let (words_b, rest_b) = b.as_chunks::<8>();
    let mut diff = 0u64;
    for (x, y) in words_a.iter().zip(words_b) {
        diff = black_box(diff | (u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y)));
    }
    for (x, y) in rest_a.iter().zip(rest_b) {
        diff = black_box(diff | u64::from(x ^ y));
    }
    diff == 0
}

impl Inner {
    /// The checks of `jsonwebtoken`'s validation that depend on the clock,
    /// with the same leeway: everything else about a token is fixed once
    /// its signature has been checked.
    fn current(&self, claims: &JwtClaims, now: u64) -> bool {
        let expired = claims
            .exp
            .is_some_and(|exp| exp < now.saturating_sub(self.leeway));
        let early = self.validate_nbf
            && claims
                .nbf
                .is_some_and(|nbf| nbf > now.saturating_add(self.leeway));
        !expired && !early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: Option<u64>, nbf: Option<u64>) -> JwtClaims {
        JwtClaims {
            sub: Some("ada".into()),
            iss: None,
            aud: None,
            exp,
            nbf,
            iat: None,
            jti: None,
            extra: serde_json::Map::new(),
        }
    }

    #[test]
    fn a_hit_honours_expiry() {
        let cache = TokenCache::new(4, 0, true);
        cache.insert("a.b.c", &claims(Some(100), None), 50);
        assert_eq!(cache.get("a.b.c", 100).unwrap().sub.as_deref(), Some("ada"));
        assert!(cache.get("a.b.c", 101).is_none(), "expired while cached");
        assert_eq!(cache.len(), 0, "an expired entry is dropped");
    }

    #[test]
    fn leeway_and_nbf_are_applied_like_verification() {
        let cache = TokenCache::new(4, 10, true);
        cache.insert("t", &claims(Some(100), Some(60)), 55);
        assert!(cache.get("t", 110).is_some(), "within the leeway");
        assert!(cache.get("t", 49).is_none(), "before nbf - leeway");
        let lax = TokenCache::new(4, 0, false);
        lax.insert("t", &claims(None, Some(60)), 55);
        assert!(lax.get("t", 1).is_some(), "nbf not validated");
    }

    #[test]
    fn another_token_misses() {
        let cache = TokenCache::new(4, 0, true);
        cache.insert("header.payload.sig1", &claims(None, None), 0);
        assert!(cache.get("header.payload.sig2", 0).is_none());
        assert!(cache.get("header.payload.sig", 0).is_none());
        assert!(cache.get("header.payload.sig1x", 0).is_none());
    }

    #[test]
    fn bytes_compare_whole() {
        let token = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl";
        assert!(same_bytes(token, token));
        assert!(same_bytes(b"", b""));
        for i in 0..token.len() {
            let mut other = *token;
            other[i] ^= 1;
            assert!(!same_bytes(token, &other), "a difference at byte {i}");
        }
        assert!(!same_bytes(token, &token[..token.len() - 1]));
    }

    #[test]
    fn it_stays_bounded() {
        let cache = TokenCache::new(3, 0, true);
        for i in 0..10 {
            cache.insert(&format!("t{i}"), &claims(None, None), 0);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get("t9", 0).is_some(), "the newest is kept");
    }

    #[test]
    fn expired_entries_make_room_first() {
        let cache = TokenCache::new(2, 0, true);
        cache.insert("old", &claims(Some(10), None), 0);
        cache.insert("live", &claims(None, None), 0);
        cache.insert("new", &claims(None, None), 20);
        assert!(cache.get("live", 20).is_some());
        assert!(cache.get("new", 20).is_some());
    }
}
