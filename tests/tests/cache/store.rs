//! `Cache<K, V>`: a stampede computes once, TTLs expire, tags invalidate,
//! and a value computed across an invalidation is not served.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kiln::cache::Cache;
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stampede_of_misses_computes_once() {
    let cache: Cache<&'static str, Arc<String>> = Cache::new();
    let loads = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, loads) = (cache.clone(), Arc::clone(&loads));
            tokio::spawn(async move {
                cache
                    .get_with("feed", async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        // Long enough that every task arrives while it runs.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Arc::new("computed".to_owned())
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(*t.await.unwrap(), "computed");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn entries_expire_after_the_ttl() {
    let cache: Cache<u32, u32> = Cache::builder().ttl(Duration::from_millis(40)).build();
    cache.insert(1, 10).await;
    assert_eq!(cache.get(&1).await, Some(10));
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(cache.get(&1).await, None);
    assert_eq!(cache.get_with(1, async { 11 }).await, 11, "reloaded");
}

#[tokio::test]
async fn insert_get_and_invalidate() {
    let cache: Cache<String, u32> = Cache::new();
    cache.insert("a".into(), 1).await;
    assert_eq!(cache.get("a").await, Some(1), "looked up by &str");
    cache.insert("a".into(), 2).await;
    assert_eq!(cache.get("a").await, Some(2));
    cache.invalidate("a").await;
    assert_eq!(cache.get("a").await, None);
}

#[tokio::test]
async fn invalidating_a_tag_drops_only_its_entries() {
    let cache: Cache<u32, &'static str> = Cache::new();
    cache.insert_tagged(1, "post 1", &["posts", "post:1"]).await;
    cache.insert_tagged(2, "post 2", &["posts", "post:2"]).await;
    cache.insert_tagged(3, "user 3", &["users"]).await;
    cache.invalidate_tag("post:1");
    assert_eq!(cache.get(&1).await, None);
    assert_eq!(cache.get(&2).await, Some("post 2"));
    cache.invalidate_tag("posts");
    assert_eq!(cache.get(&2).await, None);
    assert_eq!(cache.get(&3).await, Some("user 3"));
    // Stored again after the invalidation: fresh.
    cache.insert_tagged(1, "post 1 v2", &["posts"]).await;
    assert_eq!(cache.get(&1).await, Some("post 1 v2"));
    // `get_with` recomputes an entry its tag made stale.
    cache.invalidate_tag("posts");
    let v = cache
        .get_with_tagged(1, &["posts"], async { "post 1 v3" })
        .await;
    assert_eq!(v, "post 1 v3");
    assert_eq!(cache.get(&1).await, Some("post 1 v3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_computed_across_an_invalidation_is_not_served() {
    let cache: Cache<u32, &'static str> = Cache::new();
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let load = {
        let (cache, started, release) = (cache.clone(), started.clone(), release.clone());
        tokio::spawn(async move {
            cache
                .get_with_tagged(1, &["posts"], async {
                    started.notify_one();
                    // Read the old data, then wait while a write commits.
                    release.notified().await;
                    "old"
                })
                .await
        })
    };
    started.notified().await;
    cache.invalidate_tag("posts");
    release.notify_one();
    assert_eq!(
        load.await.unwrap(),
        "old",
        "the caller that loaded gets its value"
    );
    assert_eq!(
        cache.get(&1).await,
        None,
        "but it is not served to anyone else"
    );
}
