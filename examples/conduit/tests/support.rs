//! What the tests share: the app on a fresh database (SQLite in memory or
//! in a file, or a new database on the Postgres test server), signing up,
//! queries that check what was written, and waiting for a worker.

use std::path::PathBuf;
use std::time::Duration;

use kiln::prelude::*;
use kiln::tasks::Tasks;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

use super::common::{fresh_postgres, unique};
use crate::Conduit;
use crate::db::Database;

/// The app on `db`, enqueueing through `tasks`.
pub(crate) fn client(db: &Database, tasks: &Tasks) -> TestClient<Conduit> {
    TestClient::new(
        crate::app(
            db.clone(),
            tasks.clone(),
            b"a test secret of at least 32 bytes!",
            50,
        )
        .unwrap(),
    )
}

/// A fresh in-memory SQLite database, migrated.
pub(crate) async fn sqlite_memory() -> Database {
    Database::open("sqlite::memory:").await.unwrap()
}

/// A migrated database, and the directory its SQLite file is in (removed
/// on drop).
pub(crate) struct TestDb {
    pub(crate) db: Database,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A SQLite file in a fresh directory: WAL, the writer and a read pool, as
/// the example runs (and as a worker process would share it).
pub(crate) async fn sqlite_file() -> TestDb {
    let dir = std::env::temp_dir().join(unique("kiln-conduit-test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("conduit.db").display());
    TestDb {
        db: Database::open(&url).await.unwrap(),
        dir: Some(dir),
    }
}

/// A fresh database on the `KILN_TEST_POSTGRES_URL` server, migrated;
/// `None` (with a SKIP line) without a server, a panic when one is required.
pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
    let url = fresh_postgres(test, "kiln_conduit_test").await?;
    Some(TestDb {
        db: Database::open(&url).await.unwrap(),
        dir: None,
    })
}

/// Registers `name`; its token as an `Authorization` value (`Token ...`).
pub(crate) async fn sign_up(c: &TestClient<Conduit>, name: &str) -> String {
    let res = c
        .post("/api/users")
        .json(&json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": "secret"}}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    let body: Value = res.json();
    assert_eq!(body["user"]["username"], name);
    format!("Token {}", body["user"]["token"].as_str().unwrap())
}

/// `follower` follows `username`.
pub(crate) async fn follow(c: &TestClient<Conduit>, follower: &str, username: &str) {
    let res = c
        .post(&format!("/api/profiles/{username}/follow"))
        .header("authorization", follower)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
}

/// Publishes an article with `tags` as `author`: its slug.
pub(crate) async fn publish(
    c: &TestClient<Conduit>,
    author: &str,
    title: &str,
    tags: &[&str],
) -> String {
    let res = c
        .post("/api/articles")
        .header("authorization", author)
        .json(
            &json!({"article": {"title": title, "description": "d", "body": "b", "tagList": tags}}),
        )
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    res.json::<Value>()["article"]["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `sql` (the test's own, no parameters) on the writer.
pub(crate) async fn exec(db: &Database, sql: &str) {
    let sql = AssertSqlSafe(sql);
    match db {
        Database::Sqlite(d) => sqlx::raw_sql(sql).execute(d.write_pool()).await.map(drop),
        Database::Postgres(d) => sqlx::raw_sql(sql).execute(d.write_pool()).await.map(drop),
    }
    .unwrap();
}

/// The one integer `sql` answers (`count(*)`).
pub(crate) async fn scalar(db: &Database, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql);
    match db {
        Database::Sqlite(d) => sqlx::query_scalar(sql).fetch_one(d.write_pool()).await,
        Database::Postgres(d) => sqlx::query_scalar(sql).fetch_one(d.write_pool()).await,
    }
    .unwrap()
}

/// Makes every insert of the tag `boom` fail: a write that fails after the
/// article row (and its outbox job) were written, so the request rolls back.
pub(crate) async fn refuse_tag_boom(db: &Database) {
    match db {
        Database::Sqlite(_) => {
            exec(
                db,
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON article_tags WHEN NEW.tag = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom is refused'); END",
            )
            .await;
        }
        Database::Postgres(_) => {
            exec(
                db,
                "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.tag = 'boom' THEN RAISE EXCEPTION 'boom is refused'; END IF; RETURN NEW; END $$",
            )
            .await;
            exec(
                db,
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON article_tags \
                 FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
            )
            .await;
        }
    }
}

/// Waits until `done()` answers true, checking every 10 ms; fails after 20 s.
pub(crate) async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while !done().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}
