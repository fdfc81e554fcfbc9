//! [`Cache`]: the typed, in-process cache handle over `moka::future::Cache`.

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use super::tags::{TagMark, Tags, fresh};

type Hasher = foldhash::fast::RandomState;

/// A cached value with what decides whether it is still fresh.
#[derive(Clone)]
struct Stored<V> {
    value: V,
    born: u64,
    tags: Arc<[TagMark]>,
}

impl<V> Stored<V> {
    fn fresh(&self) -> bool {
        fresh(self.born, &self.tags)
    }
}

/// An in-process cache of `V` by `K`: a bounded, expiring map (moka) that
/// loads a missing value once however many tasks ask for it at the same
/// time, and invalidates by key, by tag or entirely.
///
/// Register it as a singleton and take `&Cache<K, V>` where it is needed;
/// a clone is another handle on the same entries (one `Arc`). Values are
/// typed rather than serialized bytes: a hit is a clone of `V` (make `V` an
/// `Arc<T>` when `T` is large), with no decoding and no format to agree on.
/// Two caches of different types are two singletons.
///
/// The size bound counts entries ([`CacheBuilder::max_entries`], default
/// 10 000), or a weight of your choosing such as bytes
/// ([`CacheBuilder::max_weight`]). Entries live at most the TTL
/// ([`CacheBuilder::ttl`], default 5 minutes) after they were stored.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use kiln::cache::Cache;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cache: Cache<u64, String> = Cache::builder().ttl(Duration::from_secs(60)).build();
/// let loads = AtomicUsize::new(0);
/// let load = || async {
///     loads.fetch_add(1, Ordering::Relaxed);
///     "ada".to_owned()
/// };
/// assert_eq!(cache.get_with_tagged(1, &["users"], load()).await, "ada");
/// assert_eq!(cache.get_with_tagged(1, &["users"], load()).await, "ada");
/// assert_eq!(loads.load(Ordering::Relaxed), 1, "the second call was a hit");
///
/// cache.invalidate_tag("users");
/// assert_eq!(cache.get(&1).await, None);
/// # });
/// ```
pub struct Cache<K, V> {
    inner: moka::future::Cache<K, Stored<V>, Hasher>,
    tags: Arc<Tags>,
}

impl<K, V> Clone for Cache<K, V> {
    fn clone(&self) -> Self {
        Cache {
            inner: self.inner.clone(),
            tags: Arc::clone(&self.tags),
        }
    }
}

impl<K, V> fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("entries", &self.inner.entry_count())
            .finish_non_exhaustive()
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache with the defaults: 10 000 entries, a 5-minute TTL.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts from the defaults.
    pub fn builder() -> CacheBuilder<K, V> {
        CacheBuilder {
            ttl: Duration::from_mins(5),
            bound: Bound::Entries(10_000),
        }
    }

    /// The value of `key`, if it is cached and fresh.
    pub async fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let stored = self.inner.get(key).await?;
        if stored.fresh() {
            Some(stored.value)
        } else {
            self.inner.invalidate(key).await;
            None
        }
    }

    /// The value of `key`, computed by `init` when it is missing or stale.
    /// Concurrent calls for one missing key wait for a single `init`: a
    /// stampede of misses computes once.
    pub async fn get_with(&self, key: K, init: impl Future<Output = V>) -> V {
        self.get_with_tagged(key, &[] as &[&str], init).await
    }

    /// [`get_with`](Self::get_with), storing what `init` computes under `tags`.
    pub async fn get_with_tagged<S: AsRef<str>>(
        &self,
        key: K,
        tags: &[S],
        init: impl Future<Output = V>,
    ) -> V {
        let load = async {
            // The epoch before reading the data: an invalidation of one of
            // `tags` while `init` runs makes the value stale on arrival.
            let born = self.tags.now();
            let value = init.await;
            Stored {
                value,
                born,
                tags: self.tags.marks(tags),
            }
        };
        self.inner
            .entry(key)
            .or_insert_with_if(load, |stored| !stored.fresh())
            .await
            .into_value()
            .value
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn insert(&self, key: K, value: V) {
        self.insert_tagged(key, value, &[] as &[&str]).await;
    }

    /// Stores `value` under `key` with `tags`, so that
    /// [`invalidate_tag`](Self::invalidate_tag) of any of them drops it.
    pub async fn insert_tagged<S: AsRef<str>>(&self, key: K, value: V, tags: &[S]) {
        let stored = Stored {
            value,
            born: self.tags.now(),
            tags: self.tags.marks(tags),
        };
        self.inner.insert(key, stored).await;
    }

    /// Drops the value of `key`.
    pub async fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.invalidate(key).await;
    }

    /// Drops every value stored with `tag`, and any being computed for it
    /// right now (they arrive stale). Immediate: the next `get` misses.
    pub fn invalidate_tag(&self, tag: &str) {
        self.tags.invalidate(tag);
    }

    /// Drops every value.
    pub fn invalidate_all(&self) {
        self.inner.invalidate_all();
    }

    /// How many entries are stored (an estimate: moka applies writes and
    /// evictions in batches), stale ones included until they are next read
    /// or evicted.
    #[must_use]
    pub fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }

    /// The tag registry, for the after-commit hook.
    #[cfg(feature = "db")]
    pub(crate) fn tags(&self) -> &Arc<Tags> {
        &self.tags
    }
}

impl<K, V> Default for Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

type Weigher<K, V> = Box<dyn Fn(&K, &V) -> u32 + Send + Sync>;

enum Bound<K, V> {
    Entries(u64),
    Weight(u64, Weigher<K, V>),
}

/// Builds a [`Cache`].
#[must_use]
pub struct CacheBuilder<K, V> {
    ttl: Duration,
    bound: Bound<K, V>,
}

impl<K, V> fmt::Debug for CacheBuilder<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<K, V> CacheBuilder<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// How long an entry lives after it was stored (default 5 minutes).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Bounds the cache to `n` entries (the default, 10 000); the least
    /// likely to be used again are evicted first (moka's TinyLFU).
    pub fn max_entries(mut self, n: u64) -> Self {
        self.bound = Bound::Entries(n);
        self
    }

    /// Bounds the sum of `weigh(key, value)` over the entries to `max`
    /// instead of their number: weigh in bytes to bound memory.
    ///
    /// ```
    /// let cache: kiln::cache::Cache<String, String> = kiln::cache::Cache::builder()
    ///     .max_weight(64 << 20, |k: &String, v: &String| u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX))
    ///     .build();
    /// # drop(cache);
    /// ```
    pub fn max_weight(
        mut self,
        max: u64,
        weigh: impl Fn(&K, &V) -> u32 + Send + Sync + 'static,
    ) -> Self {
        self.bound = Bound::Weight(max, Box::new(weigh));
        self
    }

    /// The cache.
    #[must_use]
    pub fn build(self) -> Cache<K, V> {
        let builder = moka::future::Cache::builder().time_to_live(self.ttl);
        let builder = match self.bound {
            Bound::Entries(n) => builder.max_capacity(n),
            Bound::Weight(max, weigh) => builder
                .max_capacity(max)
                .weigher(move |k, v: &Stored<V>| weigh(k, &v.value)),
        };
        Cache {
            inner: builder.build_with_hasher(Hasher::default()),
            tags: Arc::default(),
        }
    }
}
