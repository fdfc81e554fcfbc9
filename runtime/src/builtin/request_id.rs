//! Request id: keep a valid incoming `X-Request-Id` or generate a unique one,
//! provide it downstream as `&RequestId`, echo it in the response.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderName, HeaderValue};

use super::{ConfigError, scratch_value};
use crate::{Request, Response, middleware};

const DEFAULT_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const DEFAULT_MAX_LEN: usize = 128;

/// The request id of the current request: what [`RequestIds`] provides,
/// injectable downstream as `&RequestId`.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id as text (always visible ASCII).
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only built from checked bytes (incoming) or hex (generated).
        self.0.to_str().unwrap_or("")
    }

    /// The id as a header value (cloning it does not allocate).
    #[must_use]
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// A fresh id, as the middleware generates when the request has none.
    #[must_use]
    pub fn generate() -> RequestId {
        RequestId(scratch_value::<32>(|buf| {
            write_generated(buf);
            32
        }))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequestId").field(&self.as_str()).finish()
    }
}

impl PartialEq<str> for RequestId {
    fn eq(&self, other: &str) -> bool {
        self.0.as_bytes() == other.as_bytes()
    }
}

/// The request id middleware: keeps a valid incoming `X-Request-Id` or
/// generates one, provides it downstream as [`&RequestId`](RequestId), and
/// echoes it in the response (also on short-circuits, 404s and 500s).
///
/// An incoming id (header `x-request-id` by default) is kept when it is 1 to
/// 128 characters of `A-Z a-z 0-9 - _ . : + / = @ ~`; otherwise (or with
/// [`RequestIdsBuilder::trust_incoming`]`(false)`) a new one is generated: 32
/// lowercase hex characters, unique within the process (a per-thread sequence
/// passed through a bijective mix, so ids do not reveal request counts) and
/// across processes (a random 64-bit per-process seed). Generating costs no
/// allocation of its own (the value is cut from a per-thread slab).
///
/// Default priority -90: before anything that logs.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{RequestId, RequestIds};
///
/// #[handler]
/// fn show(id: &RequestId) -> String {
///     id.as_str().to_owned()
/// }
///
/// chain! {
///     struct App;
///     singletons { ids: RequestIds }
///     middleware { kiln::builtin::RequestIds }
///     routes { GET "/" => show }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { ids: RequestIds::new() }));
/// let res = client.get("/").header("x-request-id", "abc-123").send().await;
/// assert_eq!(res.text(), "abc-123");
/// assert_eq!(res.header("x-request-id"), Some("abc-123"));
///
/// let res = client.get("/").send().await;
/// assert_eq!(res.text().len(), 32);
/// assert_eq!(res.header("x-request-id"), Some(res.text().as_str()));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RequestIds {
    header: HeaderName,
    max_len: usize,
    trust_incoming: bool,
}

impl RequestIds {
    /// The default configuration: header `x-request-id`, incoming ids kept
    /// when valid, at most 128 characters.
    #[must_use]
    pub fn new() -> Self {
        RequestIds {
            header: DEFAULT_HEADER,
            max_len: DEFAULT_MAX_LEN,
            trust_incoming: true,
        }
    }

    /// Starts a configuration.
    pub fn builder() -> RequestIdsBuilder {
        RequestIdsBuilder {
            header: None,
            max_len: DEFAULT_MAX_LEN,
            trust_incoming: true,
        }
    }

    /// The header the id is read from and echoed in.
    #[must_use]
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    fn accepts(&self, v: &HeaderValue) -> bool {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= self.max_len && b.iter().all(|&c| allowed(c))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

#[middleware(priority = -90, pre_route, post_route)]
impl RequestIds {
    /// Reads or generates the id.
    #[inline]
    pub fn pre(&self, req: &Request) -> RequestId {
        if self.trust_incoming
            && let Some(v) = req.headers().get(&self.header)
            && self.accepts(v)
        {
            return RequestId(v.clone());
        }
        RequestId::generate()
    }

    /// Echoes the id in the response (replacing one the handler set).
    #[inline]
    pub fn post(&self, id: &RequestId, res: &mut Response) {
        res.headers_mut().insert(self.header.clone(), id.0.clone());
    }
}

/// Builds a [`RequestIds`] configuration.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestIdsBuilder {
    header: Option<String>,
    max_len: usize,
    trust_incoming: bool,
}

impl RequestIdsBuilder {
    /// The header to read and echo (default `x-request-id`).
    pub fn header(mut self, name: &str) -> Self {
        self.header = Some(name.to_owned());
        self
    }

    /// Whether to keep a valid incoming id (default `true`). Turn it off when
    /// clients are untrusted and ids must come from this server.
    pub fn trust_incoming(mut self, trust: bool) -> Self {
        self.trust_incoming = trust;
        self
    }

    /// The longest incoming id accepted (default 128, at most 1024).
    pub fn max_len(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// An invalid header name, or a `max_len` of 0 or above 1024.
    pub fn build(self) -> Result<RequestIds, ConfigError> {
        let header = match self.header {
            None => DEFAULT_HEADER,
            Some(name) => {
                let h = HeaderName::try_from(name.as_str()).map_err(|_| {
                    ConfigError::new(
                        "RequestIds",
                        format!("`{name}` is not a valid header name; use e.g. `x-request-id`"),
                    )
                })?;
                // A custom name is copied into a buffer whose first clone
                // makes it shared; clone once now so per-request clones only
                // count references.
                drop(h.clone());
                h
            }
        };
        if self.max_len == 0 || self.max_len > 1024 {
            return Err(ConfigError::new(
                "RequestIds",
                format!("`max_len` must be between 1 and 1024, got {}", self.max_len),
            ));
        }
        Ok(RequestIds {
            header,
            max_len: self.max_len,
            trust_incoming: self.trust_incoming,
        })
    }
}

/// Characters accepted in an incoming id: safe in logs and URLs.
fn allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_' | b'.' | b':' | b'+' | b'/' | b'=' | b'@' | b'~'
        )
}

/// The process seed, drawn once from the OS-seeded `RandomState`.
fn seed() -> (u64, u64) {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    *SEED.get_or_init(|| {
        let draw = |salt: u64| {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(salt);
            h.finish()
        };
        (draw(1), draw(2))
    })
}

/// A bijection on `u64` (splitmix64's finalizer): distinct inputs give
/// distinct outputs.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex16(out: &mut [u8], x: u64) {
    for (i, b) in out.iter_mut().take(16).enumerate() {
        *b = HEX[((x >> (60 - 4 * i)) & 0xf) as usize];
    }
}

thread_local! {
    /// This thread's prefix (hex of its mixed index) and sequence number.
    static GENERATOR: (Cell<Option<[u8; 16]>>, Cell<u64>) = const { (Cell::new(None), Cell::new(0)) };
}

/// Writes a new id: 16 hex of `mix(seed ^ thread index)` then 16 hex of
/// `mix(seed' ^ sequence)`. Both halves are bijections of a per-thread unique
/// input, so no two ids of a process are equal.
fn write_generated(out: &mut [u8; 32]) {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    let (s1, s2) = seed();
    GENERATOR.with(|(prefix, seq)| {
        let p = prefix.get().unwrap_or_else(|| {
            let mut p = [0u8; 16];
            hex16(&mut p, mix(s1 ^ THREADS.fetch_add(1, Ordering::Relaxed)));
            prefix.set(Some(p));
            p
        });
        let n = seq.get();
        seq.set(n.wrapping_add(1));
        out[..16].copy_from_slice(&p);
        hex16(&mut out[16..], mix(s2 ^ n));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_hex() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let s = RequestId::generate().as_str().to_owned();
            assert_eq!(s.len(), 32);
            assert!(
                s.bytes()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            assert!(seen.insert(s));
        }
    }

    #[test]
    fn ids_from_other_threads_differ() {
        let here = RequestId::generate();
        let there = std::thread::spawn(RequestId::generate).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(here.as_str()[..16], there.as_str()[..16]);
    }

    #[test]
    fn incoming_ids_are_checked() {
        let cfg = RequestIds::new();
        assert!(cfg.accepts(&HeaderValue::from_static("abc-123_x.y:z")));
        assert!(!cfg.accepts(&HeaderValue::from_static("")));
        assert!(!cfg.accepts(&HeaderValue::from_static("has space")));
        assert!(!cfg.accepts(&HeaderValue::from_static("quote\"")));
        let long = "a".repeat(129);
        assert!(!cfg.accepts(&HeaderValue::from_str(&long).unwrap()));
    }

    #[test]
    fn builder_rejects_bad_config() {
        let e = RequestIds::builder()
            .header("bad header")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("not a valid header name"), "{e}");
        assert!(RequestIds::builder().max_len(0).build().is_err());
        let ok = RequestIds::builder().header("X-Trace-Id").build().unwrap();
        assert_eq!(ok.header_name().as_str(), "x-trace-id");
    }
}
