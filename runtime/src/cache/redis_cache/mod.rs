//! [`RedisCache`]: the cache every instance of an app shares, in Redis
//! (features `cache` and `redis`).

mod backend;
mod flight;

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use self::backend::{Core, Read, Settings};
use self::flight::Flights;
use crate::builtin::ConfigError;
use crate::error::Error;

/// A typed cache of `V` by `K` in Redis, shared by every instance of an app:
/// what one instance stores, another reads; a tag one invalidates is stale
/// on all of them at their next read. The method names are
/// [`Cache`](super::Cache)'s; what differs is what crossing a network needs.
///
/// - **Values are JSON** (serde_json, which kiln already uses for bodies):
///   `V: Serialize + DeserializeOwned`. JSON over a compact binary format
///   because a cache outlives a deploy: instances of two versions of an app
///   read each other's entries during a rolling restart, and JSON tolerates
///   an added field (`#[serde(default)]`) where positional formats do not;
///   it is also readable in `redis-cli`. Keys are `K`'s JSON too (`42`,
///   `"ada"`, `[1,"x"]`): a borrowed `Q` must serialize as `K` does
///   (`str` as `String` does).
/// - **TTL**: every entry is stored with `SET .. PX` (default 5 minutes).
/// - **Single flight within an instance**: concurrent
///   [`get_with`](Self::get_with) calls for one key in one process share one
///   read of Redis and, on a miss, one computation. Across instances there is
///   no lock: a key missing everywhere is computed at most once per instance
///   at the same time (N instances, at most N), then read by all.
/// - **Tags shared by the instances**, by epoch as [`Cache`](super::Cache)
///   does: Redis keeps a counter per cache and, per tag, the epoch of its
///   last invalidation; each entry records the epoch at which its value
///   *began* being computed. A read (one Lua script, one round trip) serves
///   the entry only if none of its tags moved since, so a value computed
///   from data read before a write and stored after the write's
///   invalidation is stale on arrival (it is returned to its caller, not
///   stored). A tag's mark lives twice the TTL.
/// - **Every call is bounded by a timeout** (default 50 ms). **When Redis
///   is down** (or slower than that), a read is a miss: `get` answers
///   `None`, `get_with` computes the value and returns it without storing
///   it, `insert` stores nothing — never an error, never a hang. The outage
///   is logged once (a warning, then an info line when Redis answers
///   again), and while it lasts only one call per 500 ms asks Redis; the
///   others skip it and cost no timeout. It recovers by itself.
///   Invalidations are the exception: one that cannot reach Redis returns
///   `503` (`unavailable`), since the entries it should have dropped would
///   be served when Redis returns; they expire within the TTL at worst.
/// - **Garbage is a miss**: a key of another type, or a value that is not
///   an entry or not a `V`, reads as missing and the next store overwrites it.
///
/// There is no in-process copy in front of Redis: a local one could not
/// learn of another instance's invalidation before its next read of Redis,
/// which is the round trip it would save. Use [`Cache`](super::Cache)
/// where per-instance staleness is acceptable.
///
/// Keys are `{prefix}:{name}:v:{key as JSON}` (entries),
/// `{prefix}:{name}:t:{tag}` (tag marks), `{prefix}:{name}:epoch` and
/// `{prefix}:{name}:all`; prefix `kiln:cache` by default. Instances agree
/// when they use the same name and prefix; two caches of different types
/// need two names. The scripts read keys they are not given, so Redis
/// Cluster is not supported: use one Redis (or a primary with replicas).
///
/// Register it as a singleton, take `&RedisCache<K, V>`; a clone is another
/// handle on the same connection.
///
/// ```no_run
/// use kiln::prelude::*;
/// use kiln::cache::RedisCache;
///
/// type Posts = RedisCache<u64, String>;
///
/// #[handler]
/// async fn post(posts: &Posts, Path(id): Path<u64>) -> String {
///     posts.get_with_tagged(id, &["posts"], async move { format!("post {id}") }).await
/// }
///
/// #[handler]
/// async fn edit(posts: &Posts) -> Result<StatusCode, kiln::Error> {
///     posts.invalidate_tag("posts").await?; // seen by every instance
///     Ok(StatusCode::NO_CONTENT)
/// }
///
/// chain! {
///     struct Blog;
///     singletons { posts: Posts }
///     routes {
///         GET "/posts/{id}" => post,
///         POST "/posts/{id}" => edit,
///     }
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let posts = RedisCache::builder("posts").connect("redis://127.0.0.1:6379").await?;
/// let app = Blog::new(BlogSingletons { posts });
/// # drop(app); Ok(()) }
/// ```
pub struct RedisCache<K, V> {
    core: Arc<Core>,
    flights: Arc<Flights<V>>,
    key: PhantomData<fn(&K)>,
}

impl<K, V> Clone for RedisCache<K, V> {
    fn clone(&self) -> Self {
        RedisCache {
            core: Arc::clone(&self.core),
            flights: Arc::clone(&self.flights),
            key: PhantomData,
        }
    }
}

impl<K, V> fmt::Debug for RedisCache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.core, f)
    }
}

impl<K, V> RedisCache<K, V>
where
    K: Serialize,
    V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// Starts a configuration of the cache named `name` (the defaults:
    /// prefix `kiln:cache`, a 5-minute TTL, a 50 ms timeout).
    pub fn builder(name: impl Into<String>) -> RedisCacheBuilder<K, V> {
        RedisCacheBuilder {
            name: name.into(),
            prefix: "kiln:cache".to_owned(),
            ttl: Duration::from_mins(5),
            timeout: Duration::from_millis(50),
            types: PhantomData,
        }
    }

    /// The Redis key of `key`'s entry; `None` (and a warning) when `key`
    /// does not serialize.
    fn entry<Q: Serialize + ?Sized>(&self, key: &Q) -> Option<String> {
        match serde_json::to_string(key) {
            Ok(json) => Some(self.core.entry_key(&json)),
            Err(e) => {
                tracing::warn!(target: "kiln::cache", cache = self.core.name(), error = %e, "RedisCache: a key does not serialize; not cached");
                None
            }
        }
    }

    /// The value of an entry's bytes; `None` (a miss) when they are not a `V`.
    fn decode(&self, entry: &str, bytes: &[u8]) -> Option<V> {
        match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(target: "kiln::cache", cache = self.core.name(), entry, error = %e, "RedisCache: an entry is not of this cache's type; read as a miss");
                None
            }
        }
    }

    /// The value of `key`, if it is stored and fresh; `None` too when Redis
    /// is unavailable.
    pub async fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let entry = self.entry(key)?;
        match self.core.read(&entry).await {
            Read::Hit { value, .. } => self.decode(&entry, &value),
            Read::Miss { .. } | Read::Unavailable => None,
        }
    }

    /// The value of `key`, computed by `init` when it is missing or stale
    /// (and then stored). Concurrent calls for one key in this process wait
    /// for a single read and a single `init`. When Redis is unavailable,
    /// `init` runs and its value is returned, not stored.
    pub async fn get_with(&self, key: K, init: impl Future<Output = V>) -> V {
        self.get_with_tagged(key, &[] as &[&str], init).await
    }

    /// [`get_with`](Self::get_with), storing what `init` computes under `tags`.
    // `key` by value, as `Cache` takes it: an app switches between the two
    // by changing a type.
    #[allow(clippy::needless_pass_by_value)]
    pub async fn get_with_tagged<S: AsRef<str>>(
        &self,
        key: K,
        tags: &[S],
        init: impl Future<Output = V>,
    ) -> V {
        let Some(entry) = self.entry(&key) else {
            return init.await;
        };
        let flight = self.flights.join(entry);
        let load = async {
            let entry = flight.key();
            let born = match self.core.read(entry).await {
                Read::Hit { value, epoch } => match self.decode(entry, &value) {
                    Some(v) => return v,
                    None => Some(epoch),
                },
                Read::Miss { epoch } => Some(epoch),
                Read::Unavailable => None,
            };
            let value = init.await;
            if let Some(born) = born {
                self.store(entry, &value, Some(born), tags).await;
            }
            value
        };
        flight.get_or_init(|| load).await.clone()
    }

    /// Stores `value` under `key`, replacing what was there. Nothing is
    /// stored when Redis is unavailable.
    pub async fn insert(&self, key: K, value: V) {
        self.insert_tagged(key, value, &[] as &[&str]).await;
    }

    /// Stores `value` under `key` with `tags`, so that
    /// [`invalidate_tag`](Self::invalidate_tag) of any of them (on any
    /// instance) drops it.
    // By value, as `Cache` takes them (see `get_with_tagged`).
    #[allow(clippy::needless_pass_by_value)]
    pub async fn insert_tagged<S: AsRef<str>>(&self, key: K, value: V, tags: &[S]) {
        if let Some(entry) = self.entry(&key) {
            self.store(&entry, &value, None, tags).await;
        }
    }

    async fn store<S: AsRef<str>>(&self, entry: &str, value: &V, born: Option<i64>, tags: &[S]) {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.core.write(entry, &bytes, born, tags).await;
            }
            Err(e) => {
                tracing::warn!(target: "kiln::cache", cache = self.core.name(), error = %e, "RedisCache: a value does not serialize; not stored");
            }
        }
    }

    /// Drops the value of `key`, on every instance.
    ///
    /// # Errors
    /// `503` (code `unavailable`) when Redis did not answer in time.
    pub async fn invalidate<Q>(&self, key: &Q) -> Result<(), Error>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        match self.entry(key) {
            Some(entry) => self.core.delete(&entry).await,
            None => Ok(()),
        }
    }

    /// Makes every value stored with `tag` stale on every instance, and any
    /// being computed for it right now (it arrives stale and is not stored).
    ///
    /// # Errors
    /// `503` (code `unavailable`) when Redis did not answer in time: the
    /// entries may be served until their TTL once Redis returns.
    pub async fn invalidate_tag(&self, tag: &str) -> Result<(), Error> {
        self.core.invalidate_tag(tag).await
    }

    /// Makes every value of this cache stale, on every instance.
    ///
    /// # Errors
    /// `503` (code `unavailable`) when Redis did not answer in time.
    pub async fn invalidate_all(&self) -> Result<(), Error> {
        self.core.invalidate_all().await
    }

    /// Whether Redis answers now (a `PING` within the timeout), for a
    /// readiness route.
    ///
    /// # Errors
    /// `503` (code `unavailable`) when it does not.
    pub async fn ping(&self) -> Result<(), Error> {
        self.core.ping().await
    }

    /// Invalidates `tag` once `tx` has committed; nothing happens if it
    /// rolls back or its commit fails. The invalidation is sent right after
    /// the commit, from a task of its own (`Tx::on_commit` callbacks cannot
    /// wait): other instances see it one round trip later, and a failure is
    /// logged.
    #[cfg(feature = "db")]
    pub fn invalidate_tag_after_commit<B: crate::db::Backend>(
        &self,
        tx: &mut crate::db::Tx<B>,
        tag: &str,
    ) {
        let core = Arc::clone(&self.core);
        let tag = tag.to_owned();
        tx.on_commit(move || {
            tokio::spawn(async move {
                if let Err(e) = core.invalidate_tag(&tag).await {
                    tracing::warn!(target: "kiln::cache", cache = core.name(), tag = %tag, error = %e, "RedisCache: invalidation after commit failed");
                }
            });
        });
    }
}

/// Configures a [`RedisCache`]; [`connect`](Self::connect) builds it.
#[must_use]
pub struct RedisCacheBuilder<K, V> {
    name: String,
    prefix: String,
    ttl: Duration,
    timeout: Duration,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> fmt::Debug for RedisCacheBuilder<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCacheBuilder")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<K, V> RedisCacheBuilder<K, V>
where
    K: Serialize,
    V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// The prefix of every key (default `kiln:cache`): give each app its
    /// own when several share one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long an entry lives after it was stored (default 5 minutes).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long a call waits for Redis before it counts as unavailable
    /// (default 50 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connects to Redis at `url` (`redis://host:port/db`) and loads the
    /// scripts.
    ///
    /// # Errors
    /// An empty name, a zero TTL or timeout, a malformed URL, or Redis
    /// unreachable now (within the timeout, at least 1 s).
    pub async fn connect(self, url: &str) -> Result<RedisCache<K, V>, ConfigError> {
        let core = Core::connect(Settings {
            url,
            name: &self.name,
            prefix: &self.prefix,
            ttl: self.ttl,
            timeout: self.timeout,
        })
        .await?;
        Ok(RedisCache {
            core: Arc::new(core),
            flights: Arc::default(),
            key: PhantomData,
        })
    }
}
