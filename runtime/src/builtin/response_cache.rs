//! ResponseCache: whole `GET`/`HEAD` responses served from memory, with
//! HTTP's rules for what may be shared, strong `ETag`s and tags.

mod key;
mod policy;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    AGE, AUTHORIZATION, CACHE_CONTROL, CONTENT_LOCATION, COOKIE, ETAG, EXPIRES, IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::{ConfigError, number_value};
use crate::cache::{CacheTags, TagMark, Tags, fresh};
use crate::{Body, Request, Response, middleware};

/// `Cache-Status` (RFC 9211): how this cache handled the request.
const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

const HIT: HeaderValue = HeaderValue::from_static("kiln; hit");
const MISS: HeaderValue = HeaderValue::from_static("kiln; fwd=miss");
const MISS_STORED: HeaderValue = HeaderValue::from_static("kiln; fwd=miss; stored");
const VARY_MISS: HeaderValue = HeaderValue::from_static("kiln; fwd=vary-miss");
const VARY_MISS_STORED: HeaderValue = HeaderValue::from_static("kiln; fwd=vary-miss; stored");
const REQUESTED: HeaderValue = HeaderValue::from_static("kiln; fwd=request");
const REQUESTED_STORED: HeaderValue = HeaderValue::from_static("kiln; fwd=request; stored");
const BYPASS: HeaderValue = HeaderValue::from_static("kiln; fwd=bypass");
const METHOD: HeaderValue = HeaderValue::from_static("kiln; fwd=method");

type Hasher = foldhash::fast::RandomState;
type Store = moka::sync::Cache<Box<[u8]>, Slot, Hasher>;

/// The response cache middleware: answers `GET` and `HEAD` requests from
/// responses it stored earlier, without running what is inside it.
///
/// **Key**: method (`HEAD` shares `GET`'s entries), path and query, then the
/// values of the request headers the stored response's `Vary` names.
///
/// **Stored** when the response is `200` (for the
/// [default TTL](ResponseCacheBuilder::default_ttl)), or another status
/// cacheable by default (`203`, `204`, `301`, `404`, `410`, ...) that says
/// how long; its body is in memory (a stream is never stored) and at most
/// [`max_body`](ResponseCacheBuilder::max_body); it has no `Set-Cookie`, no
/// `Vary: *`, and no `Cache-Control: no-store`, `private` or `no-cache`.
/// `s-maxage`, else `max-age`, sets its TTL. A request with
/// `Cache-Control: no-store` is not stored.
///
/// **Credentials**: a request carrying `Authorization` or `Cookie` is passed
/// through, neither answered from nor stored in the cache, unless the cache
/// is built with [`key_by_credentials`](ResponseCacheBuilder::key_by_credentials):
/// then both headers are part of the key, so each user has their own
/// entries and none sees another's.
///
/// **Revalidation**: a stored response gets a strong `ETag` (a 128-bit hash
/// of its body) unless it has a strong one; a request whose `If-None-Match`
/// matches it is answered `304 Not Modified`. A request with
/// `Cache-Control: no-cache` (or `max-age=0`) is passed through, and its
/// response replaces the stored one.
///
/// **Headers added**: `Cache-Status` (RFC 9211: `kiln; hit`,
/// `kiln; fwd=miss; stored`, `kiln; fwd=bypass`, ...) on every response it
/// handles, and `Age` on hits.
///
/// **Tags**: a handler tags its response with [`Tagged`](crate::cache::Tagged)
/// (or a [`CacheTags`] extension); [`invalidate_tag`](Self::invalidate_tag)
/// drops every stored response with that tag, and any being produced while
/// it is called. Take `&ResponseCache` in the handler that writes.
///
/// Concurrent misses of one key each run the handler (no request waits for
/// another's response); use [`Cache::get_with`](crate::cache::Cache::get_with)
/// inside the handler where a stampede is expensive.
///
/// Default priority -15: inside [`JwtAuth`](super::JwtAuth) and
/// `RateLimit` (they run on hits too), inside `Compression` (it stores
/// uncompressed bodies, and compression runs per response), and outside
/// your middleware (their effect on the response is stored with it). List it
/// globally, or per route with `with [kiln::builtin::ResponseCache]`.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use kiln::prelude::*;
/// use kiln::builtin::ResponseCache;
/// use kiln::cache::Tagged;
///
/// #[derive(Default)]
/// struct Hits(AtomicU64);
///
/// #[handler]
/// fn feed(hits: &Hits) -> Tagged<String> {
///     let n = hits.0.fetch_add(1, Ordering::Relaxed);
///     Tagged::new(["posts"], format!("feed #{n}"))
/// }
///
/// #[handler]
/// fn publish(cache: &ResponseCache) -> StatusCode {
///     cache.invalidate_tag("posts");
///     StatusCode::CREATED
/// }
///
/// chain! {
///     struct Blog;
///     singletons { cache: ResponseCache, hits: Hits }
///     routes {
///         GET "/feed" => feed with [kiln::builtin::ResponseCache],
///         POST "/posts" => publish,
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(Blog::new(BlogSingletons { cache: ResponseCache::default(), hits: Hits::default() }));
/// let first = client.get("/feed").send().await;
/// assert_eq!(first.text(), "feed #0");
/// assert_eq!(first.header("cache-status"), Some("kiln; fwd=miss; stored"));
///
/// let again = client.get("/feed").send().await;
/// assert_eq!(again.text(), "feed #0");
/// assert_eq!(again.header("cache-status"), Some("kiln; hit"));
///
/// let etag = again.header("etag").unwrap().to_owned();
/// let revalidated = client.get("/feed").header("if-none-match", &etag).send().await;
/// assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
///
/// client.post("/posts").send().await;
/// assert_eq!(client.get("/feed").send().await.text(), "feed #1");
/// # });
/// ```
#[derive(Clone)]
pub struct ResponseCache {
    store: Store,
    tags: Arc<Tags>,
    default_ttl: Duration,
    max_body: usize,
    key_by_credentials: bool,
}

impl fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.store.entry_count())
            .field("default_ttl", &self.default_ttl)
            .field("max_body", &self.max_body)
            .field("key_by_credentials", &self.key_by_credentials)
            .finish_non_exhaustive()
    }
}

impl Default for ResponseCache {
    /// 60 s default TTL, 64 MiB in all, bodies up to 1 MiB, credentials bypass.
    fn default() -> Self {
        ResponseCache::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

/// One slot of the store: a response, or (under the primary key of a
/// response that has `Vary`) the header names that select its variants.
#[derive(Clone)]
enum Slot {
    Response(Arc<Stored>),
    Varies(Arc<Varies>),
}

impl Slot {
    fn ttl(&self) -> Duration {
        match self {
            Slot::Response(s) => s.ttl,
            Slot::Varies(v) => v.ttl,
        }
    }

    fn weight(&self, key: &[u8]) -> u32 {
        let bytes = key.len()
            + 64
            + match self {
                Slot::Response(s) => {
                    s.body.len()
                        + s.headers
                            .iter()
                            .map(|(n, v)| n.as_str().len() + v.len() + 32)
                            .sum::<usize>()
                }
                Slot::Varies(v) => v.names.iter().map(|n| n.as_str().len() + 32).sum(),
            };
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    etag: HeaderValue,
    since: Instant,
    ttl: Duration,
    born: u64,
    tags: Arc<[TagMark]>,
}

struct Varies {
    names: Box<[HeaderName]>,
    ttl: Duration,
}

// moka hands the weigher its key type by reference.
#[allow(clippy::borrowed_box)]
fn weigh(key: &Box<[u8]>, slot: &Slot) -> u32 {
    slot.weight(key)
}

/// Each slot expires after its own TTL (the response's `max-age`, say).
struct SlotExpiry;

impl moka::Expiry<Box<[u8]>, Slot> for SlotExpiry {
    fn expire_after_create(&self, _: &Box<[u8]>, slot: &Slot, _: Instant) -> Option<Duration> {
        Some(slot.ttl())
    }

    fn expire_after_update(
        &self,
        _: &Box<[u8]>,
        slot: &Slot,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(slot.ttl())
    }
}

/// What [`ResponseCache`]'s `pre` hook found, for its `post` hook;
/// injectable as `&CacheLookup` (to tell a pass-through from a miss).
#[derive(Debug)]
pub struct CacheLookup(Lookup);

#[derive(Debug)]
enum Lookup {
    /// Not the cache's business: this `Cache-Status` and nothing else.
    Pass(HeaderValue),
    /// Not answered from the cache; store the response if it may be.
    Miss(Box<Miss>),
}

#[derive(Debug)]
struct Miss {
    primary: Box<[u8]>,
    /// The request's headers, for the variant key once `Vary` is known.
    headers: HeaderMap,
    born: u64,
    store: bool,
    status: HeaderValue,
    stored_status: HeaderValue,
}

impl CacheLookup {
    /// Whether the response may be stored (a miss, not a pass-through).
    #[must_use]
    pub fn is_miss(&self) -> bool {
        matches!(&self.0, Lookup::Miss(m) if m.store)
    }
}

impl ResponseCache {
    /// Starts from the defaults.
    pub fn builder() -> ResponseCacheBuilder {
        ResponseCacheBuilder {
            default_ttl: Duration::from_mins(1),
            max_bytes: 64 << 20,
            max_body: 1 << 20,
            key_by_credentials: false,
        }
    }

    /// Drops every stored response tagged `tag` (see [`CacheTags`]), and any
    /// being produced right now (it is not stored). Immediate.
    pub fn invalidate_tag(&self, tag: &str) {
        self.tags.invalidate(tag);
    }

    /// Drops every stored response.
    pub fn invalidate_all(&self) {
        self.store.invalidate_all();
    }

    /// [`invalidate_tag`](Self::invalidate_tag) once `tx` has committed;
    /// nothing if it rolls back or its commit fails.
    #[cfg(feature = "db")]
    pub fn invalidate_tag_after_commit<B: crate::db::Backend>(
        &self,
        tx: &mut crate::db::Tx<B>,
        tag: &str,
    ) {
        crate::cache::invalidate_after_commit(&self.tags, tx, tag);
    }

    fn fresh_response(&self, key: &[u8]) -> Option<Result<Arc<Stored>, Arc<Varies>>> {
        match self.store.get(key)? {
            Slot::Response(s) if fresh(s.born, &s.tags) => Some(Ok(s)),
            Slot::Response(_) => None,
            Slot::Varies(v) => Some(Err(v)),
        }
    }

    fn miss(
        &self,
        primary: &[u8],
        req: &Request,
        vary_miss: bool,
        no_cache: bool,
        store: bool,
    ) -> CacheLookup {
        let (status, stored_status) = if no_cache {
            (REQUESTED, REQUESTED_STORED)
        } else if vary_miss {
            (VARY_MISS, VARY_MISS_STORED)
        } else {
            (MISS, MISS_STORED)
        };
        CacheLookup(Lookup::Miss(Box::new(Miss {
            primary: primary.into(),
            headers: req.headers().clone(),
            born: self.tags.now(),
            store,
            status,
            stored_status,
        })))
    }

    fn store_response(&self, miss: &Miss, res: &mut Response) -> bool {
        let Some(ttl) = policy::response_ttl(res.status(), res.headers(), self.default_ttl) else {
            return false;
        };
        let Some(body) = res.body().shared_bytes() else {
            return false;
        };
        if body.len() > self.max_body {
            return false;
        }
        let tags = res
            .extensions_mut()
            .remove::<CacheTags>()
            .unwrap_or_default();
        let etag = match policy::strong(res.headers().get(ETAG)) {
            Some(tag) => tag.clone(),
            None => {
                let tag = policy::strong_etag(&body);
                res.headers_mut().insert(ETAG, tag.clone());
                tag
            }
        };
        let names = policy::vary_names(res.headers());
        let key = if names.is_empty() {
            miss.primary.clone()
        } else {
            let mut key = miss.primary.to_vec();
            key::fields(&mut key, &miss.headers, &names);
            let varies = Varies {
                names: names.into(),
                ttl,
            };
            self.store
                .insert(miss.primary.clone(), Slot::Varies(Arc::new(varies)));
            key.into()
        };
        let stored = Stored {
            status: res.status(),
            headers: res.headers().clone(),
            body,
            etag,
            since: Instant::now(),
            ttl,
            born: miss.born,
            tags: self.tags.marks(tags.as_slice()),
        };
        self.store.insert(key, Slot::Response(Arc::new(stored)));
        true
    }
}

/// The response to a hit: the stored one, or `304` when the client has it.
fn answer(stored: &Stored, req: &Request) -> Response {
    let not_modified = req
        .headers()
        .get(IF_NONE_MATCH)
        .is_some_and(|inm| policy::none_match(inm, &stored.etag));
    let mut res = if not_modified {
        not_modified_from(&stored.headers)
    } else {
        let mut res = Response::new(Body::from(stored.body.clone()));
        *res.status_mut() = stored.status;
        *res.headers_mut() = stored.headers.clone();
        res
    };
    let headers = res.headers_mut();
    headers.insert(AGE, number_value(stored.since.elapsed().as_secs()));
    headers.insert(CACHE_STATUS, HIT);
    res
}

/// A `304` with the fields a `200` would have had that RFC 9110 §15.4.5
/// requires (`Date` is the server's).
fn not_modified_from(headers: &HeaderMap) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::NOT_MODIFIED;
    let out = res.headers_mut();
    for name in [ETAG, CACHE_CONTROL, CONTENT_LOCATION, EXPIRES, VARY] {
        for v in headers.get_all(&name) {
            out.append(name.clone(), v.clone());
        }
    }
    res
}

#[middleware(priority = -15, pre_route, post_route)]
impl ResponseCache {
    /// Answers from the cache when it can.
    ///
    /// # Errors
    /// The stored response (or a `304`), as a short-circuit: nothing inside
    /// this middleware runs.
    #[inline]
    // The `Err` is the response, moved once into the pipeline's slot; boxing
    // it would add an allocation to every hit.
    #[allow(clippy::result_large_err)]
    pub fn pre(&self, req: &Request) -> Result<CacheLookup, Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Ok(CacheLookup(Lookup::Pass(METHOD)));
        }
        let headers = req.headers();
        let credentials = headers.contains_key(AUTHORIZATION) || headers.contains_key(COOKIE);
        if credentials && !self.key_by_credentials {
            return Ok(CacheLookup(Lookup::Pass(BYPASS)));
        }
        let directives = policy::request_directives(headers);
        key::with_buffer(|buf| {
            key::primary(buf, req, self.key_by_credentials);
            let primary_len = buf.len();
            let mut vary_miss = false;
            if !directives.no_cache {
                match self.fresh_response(buf) {
                    Some(Ok(stored)) => return Err(answer(&stored, req)),
                    Some(Err(varies)) => {
                        key::fields(buf, headers, &varies.names);
                        match self.fresh_response(buf) {
                            Some(Ok(stored)) => return Err(answer(&stored, req)),
                            _ => vary_miss = true,
                        }
                    }
                    None => {}
                }
            }
            Ok(self.miss(
                &buf[..primary_len],
                req,
                vary_miss,
                directives.no_cache,
                !directives.no_store,
            ))
        })
    }

    /// Stores the response when it may, and answers `304` when the client
    /// already has it.
    #[inline]
    pub fn post(&self, lookup: &CacheLookup, res: &mut Response) {
        let miss = match &lookup.0 {
            Lookup::Pass(status) => {
                res.headers_mut().insert(CACHE_STATUS, status.clone());
                return;
            }
            Lookup::Miss(miss) => miss,
        };
        let stored = miss.store && self.store_response(miss, res);
        let status = if stored {
            miss.stored_status.clone()
        } else {
            miss.status.clone()
        };
        if stored
            && let Some(inm) = miss.headers.get(IF_NONE_MATCH)
            && res
                .headers()
                .get(ETAG)
                .is_some_and(|etag| policy::none_match(inm, etag))
        {
            *res = not_modified_from(res.headers());
        }
        res.headers_mut().insert(CACHE_STATUS, status);
    }
}

/// Builds a [`ResponseCache`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ResponseCacheBuilder {
    default_ttl: Duration,
    max_bytes: u64,
    max_body: usize,
    key_by_credentials: bool,
}

impl ResponseCacheBuilder {
    /// How long a `200` without `max-age`/`s-maxage` is kept (default 60 s).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// The size bound, in bytes of bodies, headers and keys (default
    /// 64 MiB); the least likely to be asked again are evicted first.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Bodies larger than this are not stored (default 1 MiB).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Serves and stores requests that carry `Authorization` or `Cookie`,
    /// with both headers in the key: each credential has its own entries.
    /// Off by default: such requests pass through.
    pub fn key_by_credentials(mut self, yes: bool) -> Self {
        self.key_by_credentials = yes;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// A zero TTL or size, or a body bound above the size bound.
    pub fn build(self) -> Result<ResponseCache, ConfigError> {
        let err = |m: &str| ConfigError::new("ResponseCache", m);
        if self.default_ttl.is_zero() {
            return Err(err(
                "a default TTL of 0 stores nothing; give at least 1 s, or do not list `ResponseCache`",
            ));
        }
        if self.max_bytes == 0 || self.max_body == 0 {
            return Err(err(
                "a size bound of 0 stores nothing; give at least 1 byte",
            ));
        }
        if self.max_body as u64 > self.max_bytes {
            return Err(err(
                "`max_body` is larger than `max_bytes`; such a body could never be stored",
            ));
        }
        let store = moka::sync::Cache::builder()
            .max_capacity(self.max_bytes)
            .weigher(weigh)
            .expire_after(SlotExpiry)
            .build_with_hasher(Hasher::default());
        Ok(ResponseCache {
            store,
            tags: Arc::default(),
            default_ttl: self.default_ttl,
            max_body: self.max_body,
            key_by_credentials: self.key_by_credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked() {
        let b = ResponseCache::builder;
        assert!(b().default_ttl(Duration::ZERO).build().is_err());
        assert!(b().max_bytes(0).build().is_err());
        let e = b().max_bytes(10).max_body(11).build().unwrap_err();
        assert!(e.message().contains("max_body"), "{e}");
        assert!(b().build().is_ok());
    }
}
