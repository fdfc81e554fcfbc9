//! The response cache in front of `GET /api/tags` and the anonymous
//! `GET /api/articles`: a second request is a hit, each query string its own
//! entry, a committed write invalidates (a rolled-back one does not), and a
//! request with a token is never answered from, nor stored in, the cache.
//! On SQLite only: the cache is in process, the same on either backend.

use kiln::prelude::*;
use kiln::tasks::Tasks;
use serde_json::{Value, json};

use super::support::{client, publish, refuse_tag_boom, sign_up, sqlite_memory};
use crate::Conduit;

const HIT: &str = "kiln; hit";
const STORED: &str = "kiln; fwd=miss; stored";
const BYPASS: &str = "kiln; fwd=bypass";

/// `uri`, anonymously: its `Cache-Status` and body.
async fn get(c: &TestClient<Conduit>, uri: &str) -> (String, Value) {
    let res = c.get(uri).send().await;
    assert_eq!(res.status(), StatusCode::OK, "{uri}: {}", res.text());
    let status = res.header("cache-status").unwrap_or("none").to_owned();
    (status, res.json())
}

#[tokio::test]
async fn the_tag_list_is_cached_until_a_committed_write_changes_it() {
    let db = sqlite_memory().await;
    let c = client(&db, &Tasks::default());
    let ada = sign_up(&c, "ada").await;

    assert_eq!(
        get(&c, "/api/tags").await,
        (STORED.into(), json!({"tags": []}))
    );
    assert_eq!(
        get(&c, "/api/tags").await,
        (HIT.into(), json!({"tags": []}))
    );

    // A new article with a new tag: the next list is computed again.
    let slug = publish(&c, &ada, "Dragons", &["dragons"]).await;
    let tags = json!({"tags": ["dragons"]});
    assert_eq!(get(&c, "/api/tags").await, (STORED.into(), tags.clone()));
    assert_eq!(get(&c, "/api/tags").await, (HIT.into(), tags.clone()));

    // A write that fails after it asked for the invalidation rolls back, and
    // the invalidation with it: still a hit.
    refuse_tag_boom(&db).await;
    let res = c
        .post("/api/articles")
        .header("authorization", &ada)
        .json(&json!({"article": {"title": "Boom", "description": "d", "body": "b", "tagList": ["boom"]}}))
        .send()
        .await;
    assert!(!res.status().is_success(), "{}", res.status());
    assert_eq!(get(&c, "/api/tags").await, (HIT.into(), tags));

    // An edit of the tags, and a delete, invalidate too.
    let res = c
        .put(&format!("/api/articles/{slug}"))
        .header("authorization", &ada)
        .json(&json!({"article": {"tagList": ["wyverns"]}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        get(&c, "/api/tags").await,
        (STORED.into(), json!({"tags": ["wyverns"]}))
    );
    let res = c
        .delete(&format!("/api/articles/{slug}"))
        .header("authorization", &ada)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&c, "/api/tags").await,
        (STORED.into(), json!({"tags": []}))
    );
}

#[tokio::test]
async fn the_anonymous_article_list_is_cached_per_query_and_never_served_to_a_token() {
    let db = sqlite_memory().await;
    let c = client(&db, &Tasks::default());
    let ada = sign_up(&c, "ada").await;
    let bob = sign_up(&c, "bob").await;
    let dragons = publish(&c, &ada, "Dragons", &["dragons"]).await;
    publish(&c, &ada, "Cats", &["cats"]).await;
    let res = c
        .post(&format!("/api/articles/{dragons}/favorite"))
        .header("authorization", &bob)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Each filter and page is an entry of its own.
    let (status, all) = get(&c, "/api/articles").await;
    assert_eq!(
        (status.as_str(), &all["articlesCount"]),
        (STORED, &json!(2))
    );
    let (status, tagged) = get(&c, "/api/articles?tag=dragons").await;
    assert_eq!(
        (status.as_str(), &tagged["articlesCount"]),
        (STORED, &json!(1))
    );
    let (status, page) = get(&c, "/api/articles?limit=1&offset=1").await;
    assert_eq!(status, STORED);
    assert_eq!(page["articles"][0]["title"], "Dragons", "the older one");
    let (status, by) = get(&c, "/api/articles?author=bob").await;
    assert_eq!((status.as_str(), &by["articlesCount"]), (STORED, &json!(0)));
    let (status, fav) = get(&c, "/api/articles?favorited=bob").await;
    assert_eq!(
        (status.as_str(), &fav["articlesCount"]),
        (STORED, &json!(1))
    );
    assert_eq!(get(&c, "/api/articles").await, (HIT.into(), all));
    let (status, again) = get(&c, "/api/articles?tag=dragons").await;
    assert_eq!((status.as_str(), &again), (HIT, &tagged));
    assert_eq!(again["articles"][0]["favorited"], false);
    assert_eq!(again["articles"][0]["favoritesCount"], 1);

    // Bob's own view (his favorite, whom he follows) passes by the cache...
    let mine = c
        .get("/api/articles?tag=dragons")
        .header("authorization", &bob)
        .send()
        .await;
    assert_eq!(mine.header("cache-status"), Some(BYPASS));
    assert_eq!(mine.json::<Value>()["articles"][0]["favorited"], true);
    // ...and is not stored for anyone else.
    let (status, anon) = get(&c, "/api/articles?tag=dragons").await;
    assert_eq!(
        (status.as_str(), &anon["articles"][0]["favorited"]),
        (HIT, &json!(false))
    );

    // `favoritesCount` is on the list: an unfavorite invalidates it.
    let res = c
        .delete(&format!("/api/articles/{dragons}/favorite"))
        .header("authorization", &bob)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, anon) = get(&c, "/api/articles?tag=dragons").await;
    assert_eq!(
        (status.as_str(), &anon["articles"][0]["favoritesCount"]),
        (STORED, &json!(0))
    );

    // So is the author's profile: a new bio shows at once.
    let res = c
        .put("/api/user")
        .header("authorization", &ada)
        .json(&json!({"user": {"bio": "tames dragons"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, all) = get(&c, "/api/articles").await;
    assert_eq!(status, STORED);
    assert_eq!(all["articles"][0]["author"]["bio"], "tames dragons");
}
