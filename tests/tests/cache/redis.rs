//! `RedisCache<K, V>` against a real `redis-server` each test starts (one
//! test kills and restarts it). Two handles on one Redis stand for two
//! instances of an app: what one stores the other reads, a tag one
//! invalidates is stale on the other. A stampede computes once per
//! instance, entries expire, garbage in Redis is a miss, and a Redis that
//! goes away turns reads into computed misses within the timeout, then is
//! recovered from. Without `redis-server` these skip loudly, except in CI.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiln::cache::RedisCache;
use kiln::db::sqlite::{Db, Tx};
use kiln::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use super::redis_server::Redis;

/// Generous for a shared CI machine: a spurious timeout would read as an outage.
const TIMEOUT: Duration = Duration::from_millis(500);

async fn cache<V>(redis: &Redis, name: &str) -> RedisCache<u64, V>
where
    V: Serialize + for<'de> Deserialize<'de> + Clone + Send + Sync + 'static,
{
    RedisCache::builder(name)
        .timeout(TIMEOUT)
        .connect(&redis.url())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_instance_stores_another_reads() {
    let Some(redis) = Redis::start("what_one_instance_stores_another_reads") else {
        return;
    };
    let a = cache::<String>(&redis, "share").await;
    let b = cache::<String>(&redis, "share").await;
    a.insert(1, "one".to_owned()).await;
    assert_eq!(b.get(&1).await.as_deref(), Some("one"));

    let computed = AtomicUsize::new(0);
    let value = b
        .get_with(1, async {
            computed.fetch_add(1, Ordering::SeqCst);
            "recomputed".to_owned()
        })
        .await;
    assert_eq!(value, "one", "a hit on the other instance");
    assert_eq!(computed.load(Ordering::SeqCst), 0);

    let other = cache::<String>(&redis, "other").await;
    assert_eq!(other.get(&1).await, None, "another name, other entries");

    b.invalidate(&1).await.unwrap();
    assert_eq!(a.get(&1).await, None, "dropped for both");
    assert_eq!(
        redis.command(&["EXISTS", "kiln:cache:share:v:1"]),
        ":0",
        "the documented key layout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_invalidated_on_one_instance_is_stale_on_the_other() {
    let Some(redis) = Redis::start("a_tag_invalidated_on_one_instance") else {
        return;
    };
    let a = cache::<String>(&redis, "tags").await;
    let b = cache::<String>(&redis, "tags").await;
    a.insert_tagged(1, "post 1".to_owned(), &["posts"]).await;
    a.insert_tagged(2, "user 2".to_owned(), &["users"]).await;
    let feed = a
        .get_with_tagged(3, &["posts", "feed"], async { "feed".to_owned() })
        .await;
    assert_eq!(feed, "feed");
    assert_eq!(b.get(&1).await.as_deref(), Some("post 1"));
    assert_eq!(b.get(&3).await.as_deref(), Some("feed"));

    b.invalidate_tag("posts").await.unwrap();
    assert_eq!(a.get(&1).await, None);
    assert_eq!(a.get(&3).await, None, "any of its tags");
    assert_eq!(
        a.get(&2).await.as_deref(),
        Some("user 2"),
        "other tags stay"
    );

    a.insert_tagged(1, "post 1, edited".to_owned(), &["posts"])
        .await;
    assert_eq!(
        b.get(&1).await.as_deref(),
        Some("post 1, edited"),
        "stored after the invalidation: fresh"
    );

    a.invalidate_all().await.unwrap();
    assert_eq!(b.get(&1).await, None);
    assert_eq!(b.get(&2).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_computed_across_an_invalidation_is_not_stored() {
    let Some(redis) = Redis::start("a_value_computed_across_an_invalidation") else {
        return;
    };
    let a = cache::<String>(&redis, "race").await;
    let b = cache::<String>(&redis, "race").await;
    let (started, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let load = {
        let (a, started, release) = (a.clone(), Arc::clone(&started), Arc::clone(&release));
        tokio::spawn(async move {
            a.get_with_tagged(1, &["posts"], async move {
                started.notify_one();
                // The data is read; a write and its invalidation land now.
                release.notified().await;
                "before the write".to_owned()
            })
            .await
        })
    };
    started.notified().await;
    b.invalidate_tag("posts").await.unwrap();
    release.notify_one();
    assert_eq!(
        load.await.unwrap(),
        "before the write",
        "its caller gets it"
    );
    assert_eq!(b.get(&1).await, None, "stale on arrival: not stored");
    assert_eq!(a.get(&1).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_expire_after_the_ttl() {
    let Some(redis) = Redis::start("entries_expire_after_the_ttl") else {
        return;
    };
    let a: RedisCache<u64, u64> = RedisCache::builder("ttl")
        .ttl(Duration::from_millis(300))
        .timeout(TIMEOUT)
        .connect(&redis.url())
        .await
        .unwrap();
    a.insert(1, 10).await;
    assert_eq!(a.get(&1).await, Some(10));
    let pttl: i64 = redis.command(&["PTTL", "kiln:cache:ttl:v:1"])[1..]
        .parse()
        .unwrap();
    assert!((1..=300).contains(&pttl), "SET .. PX 300, {pttl} ms left");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(a.get(&1).await, None);
    assert_eq!(a.get_with(1, async { 11 }).await, 11, "reloaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stampede_of_misses_computes_once_per_instance() {
    let Some(redis) = Redis::start("a_stampede_of_misses_computes_once") else {
        return;
    };
    let a = cache::<String>(&redis, "stampede").await;
    let loads = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (a, loads) = (a.clone(), Arc::clone(&loads));
            tokio::spawn(async move {
                a.get_with(7, async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    // Long enough that every task arrives while it runs.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    "computed".to_owned()
                })
                .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "computed");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    let b = cache::<String>(&redis, "stampede").await;
    let value = b
        .get_with(7, async {
            loads.fetch_add(1, Ordering::SeqCst);
            "again".to_owned()
        })
        .await;
    assert_eq!(value, "computed", "stored for the other instance");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_in_redis_is_a_miss() {
    let Some(redis) = Redis::start("garbage_in_redis_is_a_miss") else {
        return;
    };
    let a = cache::<u64>(&redis, "junk").await;
    let key = |k: u64| format!("kiln:cache:junk:v:{k}");
    assert_eq!(redis.command(&["SET", &key(1), "garbage"]), "+OK");
    assert_eq!(
        redis.command(&["SET", &key(2), "[0]\n\"not a u64\""]),
        "+OK"
    );
    assert_eq!(redis.command(&["RPUSH", &key(3), "a list"]), ":1");
    assert_eq!(redis.command(&["SET", &key(4), "[\"no epoch\"]\n4"]), "+OK");
    assert_eq!(redis.command(&["SET", &key(5), "{not json\n5"]), "+OK");
    for k in 1..=5 {
        assert_eq!(a.get(&k).await, None, "entry {k}");
        assert_eq!(a.get_with(k, async move { k * 10 }).await, k * 10);
        assert_eq!(a.get(&k).await, Some(k * 10), "entry {k} overwritten");
    }
}

/// The levels of the `kiln::cache` events.
#[derive(Clone, Default)]
struct Logged(Arc<Mutex<Vec<tracing::Level>>>);

impl Logged {
    fn count(&self, level: tracing::Level) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|l| **l == level)
            .count()
    }
}

impl<S: tracing::Subscriber> Layer<S> for Logged {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "kiln::cache" {
            self.0.lock().unwrap().push(*event.metadata().level());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_a_computed_miss_within_the_timeout_then_recovered() {
    let Some(mut redis) = Redis::start("redis_down_is_a_computed_miss") else {
        return;
    };
    // The calls below run on this thread (the test body is not spawned).
    let logged = Logged::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(logged.clone()));
    let a: RedisCache<u64, String> = RedisCache::builder("down")
        .timeout(Duration::from_millis(100))
        .connect(&redis.url())
        .await
        .unwrap();
    a.insert(1, "stored".to_owned()).await;
    assert_eq!(a.get(&1).await.as_deref(), Some("stored"));
    a.ping().await.unwrap();

    redis.kill();
    let computed = AtomicUsize::new(0);
    for _ in 0..5 {
        let started = Instant::now();
        let value = a
            .get_with(2, async {
                computed.fetch_add(1, Ordering::SeqCst);
                "computed".to_owned()
            })
            .await;
        assert_eq!(value, "computed");
        assert_eq!(a.get(&1).await, None, "a miss, not an error");
        a.insert(3, "dropped".to_owned()).await;
        let err = a.invalidate_tag("posts").await.unwrap_err();
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        // Four calls, each bounded by the 100 ms timeout: never a hang.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(computed.load(Ordering::SeqCst), 5, "every miss computed");
    let down = a.ping().await.unwrap_err();
    assert_eq!(
        down.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "readiness fails"
    );
    assert_eq!(
        logged.count(tracing::Level::WARN),
        1,
        "logged once per outage, not per call"
    );

    let port = redis.port;
    drop(redis);
    let _redis = Redis::on(port, "redis_down_is_a_computed_miss").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        a.insert(4, "back".to_owned()).await;
        if a.get(&4).await.as_deref() == Some("back") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.ping().await.unwrap();
    assert_eq!(logged.count(tracing::Level::INFO), 1, "and its end once");
    assert_eq!(logged.count(tracing::Level::WARN), 1);
}

// ------------------------------------------------- in an app, after commit

type Posts = RedisCache<u64, Post>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Post {
    id: u64,
    title: String,
}

/// How many times the handler computed a post, across instances.
#[derive(Clone, Default)]
struct Loads(Arc<AtomicUsize>);

#[handler]
async fn post(posts: &Posts, loads: &Loads, Path(id): Path<u64>) -> Json<Post> {
    let post = posts
        .get_with_tagged(id, &["posts"], async move {
            loads.0.fetch_add(1, Ordering::SeqCst);
            Post {
                id,
                title: format!("post {id}"),
            }
        })
        .await;
    Json(post)
}

/// Writes a post; `?fail` answers 422 after the write, so it rolls back.
#[handler]
async fn publish(
    posts: &Posts,
    tx: &mut Tx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<StatusCode, kiln::db::DbError> {
    sqlx::query("INSERT INTO posts (title) VALUES ('new')")
        .execute(&mut **tx)
        .await?;
    posts.invalidate_tag_after_commit(tx, "posts");
    Ok(if q.contains_key("fail") {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CREATED
    })
}

chain! {
    struct Blog;
    singletons { posts: Posts, loads: Loads, db: Db }
    request { kiln::db::sqlite::tx }
    routes {
        GET "/posts/{id}" => post,
        POST "/posts" => publish,
    }
}

async fn app(redis: &Redis, loads: &Loads) -> TestClient<Blog> {
    let db = Db::memory().await.unwrap();
    sqlx::query("CREATE TABLE posts (title TEXT)")
        .execute(db.write_pool())
        .await
        .unwrap();
    TestClient::new(Blog::new(BlogSingletons {
        posts: cache(redis, "posts").await,
        loads: loads.clone(),
        db,
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_instances_share_entries_and_invalidate_after_commit() {
    let Some(redis) = Redis::start("two_app_instances_share_entries") else {
        return;
    };
    let loads = Loads::default();
    let (a, b) = (app(&redis, &loads).await, app(&redis, &loads).await);
    let first: serde_json::Value = a.get("/posts/1").send().await.json();
    assert_eq!(first["title"], "post 1");
    let again: serde_json::Value = b.get("/posts/1").send().await.json();
    assert_eq!(again, first);
    assert_eq!(loads.0.load(Ordering::SeqCst), 1, "B served A's entry");

    let res = b.post("/posts?fail").send().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.get("/posts/1").send().await;
    assert_eq!(
        loads.0.load(Ordering::SeqCst),
        1,
        "rolled back: not invalidated"
    );

    assert_eq!(b.post("/posts").send().await.status(), StatusCode::CREATED);
    // The invalidation after a commit is sent from a task of its own.
    let deadline = Instant::now() + Duration::from_secs(3);
    while a.app().posts.get(&1).await.is_some() {
        assert!(
            Instant::now() < deadline,
            "committed on B: invalidated for A"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.get("/posts/1").send().await;
    assert_eq!(loads.0.load(Ordering::SeqCst), 2, "recomputed on A");
}
