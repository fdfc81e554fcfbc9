//! The main flows in process (no socket), on a fresh in-memory SQLite
//! database: what the RealWorld collection checks, and the error statuses.

use kiln::prelude::*;
use kiln::tasks::Tasks;
use serde_json::{Value, json};

use super::support;

async fn client() -> TestClient<crate::Conduit> {
    support::client(&support::sqlite_memory().await, &Tasks::default())
}

/// Registers `name` and returns its token.
async fn register(c: &TestClient<crate::Conduit>, name: &str) -> String {
    let value = support::sign_up(c, name).await;
    value.strip_prefix("Token ").unwrap().to_owned()
}

fn token(t: &str) -> String {
    format!("Token {t}")
}

#[tokio::test]
async fn users_register_login_current_update() {
    let c = client().await;
    let t = register(&c, "ada").await;
    let res = c
        .post("/api/users/login")
        .json(&json!({"user": {"email": "ada@example.com", "password": "secret"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let login: Value = res.json();
    assert_eq!(login["user"]["email"], "ada@example.com");
    assert!(login["user"]["bio"].is_null());

    let res = c
        .get("/api/user")
        .header("authorization", &token(&t))
        .send()
        .await;
    assert_eq!(res.json::<Value>()["user"]["username"], "ada");

    let res = c
        .put("/api/user")
        .header("authorization", &token(&t))
        .json(&json!({"user": {"bio": "I write programs", "password": "newer"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>()["user"]["bio"], "I write programs");
    let old = c
        .post("/api/users/login")
        .json(&json!({"user": {"email": "ada@example.com", "password": "secret"}}))
        .send()
        .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        old.json::<Value>(),
        json!({"errors": {"body": ["email or password is invalid"]}})
    );
}

#[tokio::test]
async fn errors_have_realworld_shape_and_statuses() {
    let c = client().await;
    // 422: every blank field, by name.
    let res = c
        .post("/api/users")
        .json(&json!({"user": {"username": "", "email": "nope", "password": " "}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut errors: Vec<String> =
        serde_json::from_value(res.json::<Value>()["errors"]["body"].clone()).unwrap();
    errors.sort();
    assert_eq!(
        errors,
        [
            "email is invalid",
            "password can't be blank",
            "username can't be blank"
        ]
    );
    // 422: taken.
    register(&c, "ada").await;
    let res = c
        .post("/api/users")
        .json(&json!({"user": {"username": "ada", "email": "other@example.com", "password": "x"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>()["errors"]["body"][0],
        "username has already been taken"
    );
    // 401: no token, a bad token, another scheme; the challenge names `Token`.
    let res = c.get("/api/user").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("www-authenticate"), Some("Token"));
    assert!(res.json::<Value>()["errors"]["body"].is_array());
    let res = c
        .get("/api/user")
        .header("authorization", "Token nope")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = c
        .get("/api/articles")
        .header("authorization", "Token nope")
        .send()
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a bad token on an optional route"
    );
    // 404, in the same shape.
    let res = c.get("/api/articles/no-such-slug").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<Value>(),
        json!({"errors": {"body": ["article not found"]}})
    );
    let res = c.get("/api/profiles/nobody").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c.get("/api/nowhere").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.json::<Value>()["errors"]["body"].is_array());
}

// One story from first article to deletion: each step needs the state the last left.
#[allow(clippy::too_many_lines)]
#[tokio::test]
async fn articles_tags_favorites_feed_comments() {
    let c = client().await;
    let ada = token(&register(&c, "ada").await);
    let bob = token(&register(&c, "bob").await);

    let res = c
        .post("/api/articles")
        .header("authorization", &ada)
        .json(&json!({"article": {"title": "How to train your dragon", "description": "Ever wonder how?",
                                  "body": "Very carefully.", "tagList": ["training", "dragons"]}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    let article: Value = res.json();
    let slug = article["article"]["slug"].as_str().unwrap().to_owned();
    assert_eq!(
        article["article"]["tagList"],
        json!(["dragons", "training"])
    );
    assert_eq!(article["article"]["favorited"], false);
    assert_eq!(article["article"]["author"]["username"], "ada");
    let created = article["article"]["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.contains('.'), "{created}");

    // Filters and counts.
    let list = |q: &'static str| c.get(q).send();
    assert_eq!(
        list("/api/articles").await.json::<Value>()["articlesCount"],
        1
    );
    assert_eq!(
        list("/api/articles?tag=dragons").await.json::<Value>()["articlesCount"],
        1
    );
    assert_eq!(
        list("/api/articles?tag=cats").await.json::<Value>()["articlesCount"],
        0
    );
    assert_eq!(
        list("/api/articles?author=bob").await.json::<Value>()["articlesCount"],
        0
    );
    let page = list("/api/articles?author=ada&limit=0")
        .await
        .json::<Value>();
    assert_eq!(
        (
            page["articlesCount"].as_i64(),
            page["articles"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
    assert_eq!(
        list("/api/tags").await.json::<Value>()["tags"],
        json!(["dragons", "training"])
    );

    // Bob favorites it; by-favoriter filter and count.
    let url = format!("/api/articles/{slug}/favorite");
    let res = c.post(&url).header("authorization", &bob).send().await;
    assert_eq!(res.json::<Value>()["article"]["favoritesCount"], 1);
    let fav = c
        .get("/api/articles?favorited=bob")
        .send()
        .await
        .json::<Value>();
    assert_eq!(fav["articles"][0]["favoritesCount"], 1);
    let res = c.delete(&url).header("authorization", &bob).send().await;
    assert_eq!(res.json::<Value>()["article"]["favorited"], false);

    // Bob's feed is empty until he follows ada.
    let c = &c;
    let feed = |t: String| async move {
        c.get("/api/articles/feed")
            .header("authorization", &t)
            .send()
            .await
            .json::<Value>()
    };
    assert_eq!(feed(bob.clone()).await["articlesCount"], 0);
    let res = c
        .post("/api/profiles/ada/follow")
        .header("authorization", &bob)
        .send()
        .await;
    assert_eq!(res.json::<Value>()["profile"]["following"], true);
    assert_eq!(
        feed(bob.clone()).await["articles"][0]["author"]["following"],
        true
    );
    let res = c
        .delete("/api/profiles/ada/follow")
        .header("authorization", &bob)
        .send()
        .await;
    assert_eq!(res.json::<Value>()["profile"]["following"], false);

    // Only the author may change it.
    let art = format!("/api/articles/{slug}");
    let res = c
        .put(&art)
        .header("authorization", &bob)
        .json(&json!({"article": {"body": "mine"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .put(&art)
        .header("authorization", &ada)
        .json(&json!({"article": {"body": "With two hands"}}))
        .send()
        .await;
    assert_eq!(res.json::<Value>()["article"]["body"], "With two hands");

    // Comments: anyone reads, its author deletes.
    let comments = format!("/api/articles/{slug}/comments");
    let res = c
        .post(&comments)
        .header("authorization", &bob)
        .json(&json!({"comment": {"body": "Thank you so much!"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>()["comment"]["id"].as_i64().unwrap();
    let all = c.get(&comments).send().await.json::<Value>();
    assert_eq!(all["comments"][0]["author"]["username"], "bob");
    let one = format!("{comments}/{id}");
    assert_eq!(
        c.delete(&one)
            .header("authorization", &ada)
            .send()
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.delete(&one)
            .header("authorization", &bob)
            .send()
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.get(&comments).send().await.json::<Value>()["comments"],
        json!([])
    );

    // Delete: gone, with its tags.
    assert_eq!(
        c.delete(&art)
            .header("authorization", &ada)
            .send()
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.get(&art).send().await.status(), StatusCode::NOT_FOUND);
    assert_eq!(list("/api/tags").await.json::<Value>()["tags"], json!([]));
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    let c = client().await;
    let ada = token(&register(&c, "ada").await);
    // The title is blank: 422, and no article (nor tag) was written.
    let res = c
        .post("/api/articles")
        .header("authorization", &ada)
        .json(
            &json!({"article": {"title": " ", "description": "d", "body": "b", "tagList": ["x"]}}),
        )
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        c.get("/api/articles").send().await.json::<Value>()["articlesCount"],
        0
    );
    assert_eq!(
        c.get("/api/tags").send().await.json::<Value>()["tags"],
        json!([])
    );
}
