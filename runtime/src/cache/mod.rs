//! In-process caching (feature `cache`): [`Cache`], a typed cache handle to
//! inject, and the tag machinery it shares with
//! [`ResponseCache`](crate::builtin::ResponseCache), the middleware that
//! caches whole responses.
//!
//! Both are moka caches: bounded (entries or a weight such as bytes),
//! expiring (a TTL), safe to share between tasks. [`Cache::get_with`] loads a
//! missing value once however many requests miss it at the same time.
//! Entries can carry tags, and one [`invalidate_tag`](Cache::invalidate_tag)
//! drops every entry that carries it — also values still being computed
//! when it was called, so a value read before a write never outlives it.
//! With a database transaction, [`Cache::invalidate_tag_after_commit`]
//! waits for the commit (and does nothing if the transaction rolls back).
//!
//! [`Cache`] lives in one process: several instances of an app each have
//! their own. `RedisCache` (with the `redis` feature) is the one they
//! share: the same methods, values in Redis as JSON, tags invalidated for
//! every instance.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::cache::Cache;
//!
//! type Posts = Cache<u64, String>;
//!
//! #[handler]
//! async fn post(posts: &Posts, Path(id): Path<u64>) -> String {
//!     // Loaded once, then served from the cache until `posts` is invalidated.
//!     posts.get_with_tagged(id, &["posts"], async move { format!("post {id}") }).await
//! }
//!
//! #[handler]
//! fn edit(posts: &Posts) -> StatusCode {
//!     posts.invalidate_tag("posts");
//!     StatusCode::NO_CONTENT
//! }
//!
//! chain! {
//!     struct Blog;
//!     singletons { posts: Posts }
//!     routes {
//!         GET "/posts/{id}" => post,
//!         POST "/posts/{id}" => edit,
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Blog::new(BlogSingletons { posts: Cache::new() }));
//! assert_eq!(client.get("/posts/7").send().await.text(), "post 7");
//! assert_eq!(client.post("/posts/7").send().await.status(), StatusCode::NO_CONTENT);
//! # });
//! ```

#[cfg(feature = "redis")]
mod redis_cache;
mod store;
mod tagged;
mod tags;

#[cfg(feature = "redis")]
pub use redis_cache::{RedisCache, RedisCacheBuilder};
pub use store::{Cache, CacheBuilder};
pub use tagged::{CacheTags, Tagged};

pub(crate) use tags::{TagMark, Tags, fresh};

#[cfg(feature = "db")]
mod after_commit {
    use std::hash::Hash;
    use std::sync::Arc;

    use super::Cache;
    use crate::db::{Backend, Tx};

    impl<K, V> Cache<K, V>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        /// Invalidates `tag` once `tx` has committed; nothing happens if it
        /// rolls back or its commit fails. Call it in the handler that writes
        /// what the tagged entries were computed from.
        ///
        /// ```
        /// # #[cfg(feature = "sqlite")] {
        /// use kiln::cache::Cache;
        /// use kiln::db::sqlite::Db;
        ///
        /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        /// let cache: Cache<u64, String> = Cache::new();
        /// cache.insert_tagged(1, "old".to_owned(), &["posts"]).await;
        /// let db = Db::memory().await.unwrap();
        ///
        /// let mut tx = db.begin().await.unwrap();
        /// cache.invalidate_tag_after_commit(&mut tx, "posts");
        /// assert!(cache.get(&1).await.is_some(), "not before the commit");
        /// tx.commit().await.unwrap();
        /// assert!(cache.get(&1).await.is_none());
        /// # });
        /// # }
        /// ```
        pub fn invalidate_tag_after_commit<B: Backend>(&self, tx: &mut Tx<B>, tag: &str) {
            invalidate_after_commit(self.tags(), tx, tag);
        }
    }

    pub(crate) fn invalidate_after_commit<B: Backend>(
        tags: &Arc<super::Tags>,
        tx: &mut Tx<B>,
        tag: &str,
    ) {
        let tags = Arc::clone(tags);
        let tag: Box<str> = tag.into();
        tx.on_commit(move || tags.invalidate(&tag));
    }
}

#[cfg(feature = "db")]
pub(crate) use after_commit::invalidate_after_commit;
