//! Invalidation after commit: `invalidate_tag_after_commit(&mut tx, ..)`
//! drops tagged entries when the request's transaction commits, and leaves
//! them when it rolls back.

use std::sync::atomic::{AtomicU64, Ordering};

use kiln::builtin::ResponseCache;
use kiln::cache::{Cache, Tagged};
use kiln::db::sqlite::{Db, Tx};
use kiln::prelude::*;

#[derive(Default)]
struct Runs(AtomicU64);

type Titles = Cache<u32, String>;

#[handler]
fn feed(runs: &Runs) -> Tagged<String> {
    Tagged::new(
        ["posts"],
        format!("feed #{}", runs.0.fetch_add(1, Ordering::SeqCst)),
    )
}

/// Writes a post; `?fail` answers 422 after the write, so it rolls back.
#[handler]
async fn publish(
    cache: &ResponseCache,
    titles: &Titles,
    tx: &mut Tx,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<StatusCode, kiln::db::DbError> {
    sqlx::query("INSERT INTO posts (title) VALUES ('new')")
        .execute(&mut **tx)
        .await?;
    cache.invalidate_tag_after_commit(tx, "posts");
    titles.invalidate_tag_after_commit(tx, "posts");
    Ok(if q.contains_key("fail") {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CREATED
    })
}

chain! {
    struct Blog;
    singletons { cache: ResponseCache, titles: Titles, runs: Runs, db: Db }
    request { kiln::db::sqlite::tx }
    routes {
        GET "/feed" => feed with [kiln::builtin::ResponseCache],
        POST "/posts" => publish,
    }
}

async fn app() -> (TestClient<Blog>, Titles) {
    let db = Db::memory().await.unwrap();
    sqlx::query("CREATE TABLE posts (title TEXT)")
        .execute(db.write_pool())
        .await
        .unwrap();
    let titles = Titles::new();
    let app = Blog::new(BlogSingletons {
        cache: ResponseCache::default(),
        titles: titles.clone(),
        runs: Runs::default(),
        db,
    });
    (TestClient::new(app), titles)
}

#[tokio::test]
async fn tags_are_invalidated_on_commit_only() {
    let (c, titles) = app().await;
    titles
        .insert_tagged(1, "first".to_owned(), &["posts"])
        .await;
    assert_eq!(c.get("/feed").send().await.text(), "feed #0");

    let res = c.post("/posts?fail").send().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        c.get("/feed").send().await.text(),
        "feed #0",
        "rolled back: still cached"
    );
    assert_eq!(titles.get(&1).await.as_deref(), Some("first"));

    let res = c.post("/posts").send().await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        c.get("/feed").send().await.text(),
        "feed #1",
        "committed: invalidated"
    );
    assert_eq!(titles.get(&1).await, None);
}
