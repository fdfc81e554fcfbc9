//! A transaction commits when the request succeeds and is rolled back on
//! every other way out, through `chain!` and `TestClient`, on both backends.
//!
//! Each route writes a row named by the `x-name` header, then leaves by one
//! way; `/count` then tells whether the row is there.

use kiln::prelude::*;

/// The row's name for this request.
pub(crate) fn name(req: &Request) -> String {
    req.headers()
        .get("x-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unnamed")
        .to_owned()
}

/// Short-circuits when asked to, after the transaction was written to.
#[middleware(priority = 20, pre_route)]
pub(crate) fn deny(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-deny") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(())
    }
}

#[handler]
pub(crate) fn done() -> StatusCode {
    StatusCode::CREATED
}

#[handler]
pub(crate) fn after_json(Json(_body): Json<serde_json::Value>) -> StatusCode {
    StatusCode::CREATED
}

/// The app and its tests for one backend: `suite!(sqlite, fixture)`. Every
/// item names the backend in its signature, so the descriptor macros of the
/// two expansions get different names.
macro_rules! suite {
    ($backend:ident, $fixture:ident) => {
        use std::time::Duration;

        use kiln::builtin::{CatchPanic, Timeout};
        use kiln::db::{DbError, DbResultExt, sqlx};
        use kiln::prelude::*;

        use super::semantics::{after_json, deny, done, name};
        use crate::support::{Fixture, no_hang};

        async fn insert(tx: &mut kiln::db::$backend::Tx, name: &str) -> Result<(), DbError> {
            sqlx::query("INSERT INTO items (name) VALUES ($1)")
                .bind(name)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        #[handler]
        async fn create(tx: &mut kiln::db::$backend::Tx, req: &Request) -> Result<StatusCode, DbError> {
            insert(tx, &name(req)).await?;
            Ok(StatusCode::CREATED)
        }

        #[handler]
        async fn create_200(tx: &mut kiln::db::$backend::Tx, req: &Request) -> Result<StatusCode, DbError> {
            insert(tx, &name(req)).await?;
            Ok(StatusCode::OK)
        }

        #[handler]
        async fn create_then_fail(
            tx: &mut kiln::db::$backend::Tx,
            req: &Request,
        ) -> Result<StatusCode, DbError> {
            insert(tx, &name(req)).await?;
            Err(DbError::from(sqlx::Error::RowNotFound))
        }

        /// Writes before anything after it runs, so the `Tx` exists when they fail.
        #[middleware(priority = 10, pre_route)]
        async fn write_first(tx: &mut kiln::db::$backend::Tx, req: &Request) -> Result<(), DbError> {
            insert(tx, &name(req)).await
        }

        #[handler]
        async fn slow(tx: &mut kiln::db::$backend::Tx, req: &Request) -> Result<StatusCode, DbError> {
            insert(tx, &name(req)).await?;
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(StatusCode::CREATED)
        }

        #[handler]
        async fn panics(tx: &mut kiln::db::$backend::Tx, req: &Request) -> StatusCode {
            insert(tx, &name(req)).await.unwrap();
            panic!("the handler panicked after writing");
        }

        /// A child of a parent that does not exist: accepted now, refused at commit.
        #[handler]
        async fn orphan(tx: &mut kiln::db::$backend::Tx) -> Result<StatusCode, DbError> {
            sqlx::query("INSERT INTO children (parent) VALUES (999)").execute(&mut **tx).await?;
            Ok(StatusCode::CREATED)
        }

        #[handler]
        async fn unique(tx: &mut kiln::db::$backend::Tx, req: &Request) -> Result<StatusCode, DbError> {
            sqlx::query("INSERT INTO names (name) VALUES ($1)")
                .bind(name(req))
                .execute(&mut **tx)
                .await
                .on_unique("that name is taken")?;
            Ok(StatusCode::CREATED)
        }

        #[handler]
        async fn count(read: &mut kiln::db::$backend::DbRead, req: &Request) -> Result<String, DbError> {
            let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM items WHERE name = $1")
                .bind(name(req))
                .fetch_one(&mut **read)
                .await?;
            Ok(n.to_string())
        }

        chain! {
            struct Api;
            singletons { fixture: Fixture<kiln::db::$backend::Db>, db: kiln::db::$backend::Db = fixture_db, timeout: Timeout, catch: CatchPanic }
            request { kiln::db::$backend::tx, kiln::db::$backend::read }
            routes {
                POST "/ok" => create,
                POST "/ok200" => create_200,
                POST "/err" => create_then_fail,
                POST "/later" => done with [write_first, deny],
                POST "/json" => after_json with [write_first],
                POST "/slow" => slow with [kiln::builtin::Timeout],
                POST "/panic" => panics with [kiln::builtin::CatchPanic],
                POST "/orphan" => orphan,
                POST "/unique" => unique,
                GET "/count" => count,
            }
        }

        /// The fixture's `Db`, shared (its pools are reference-counted).
        #[provider]
        fn fixture_db(fixture: &Fixture<kiln::db::$backend::Db>) -> kiln::db::$backend::Db {
            fixture.db.clone()
        }

        fn app(fixture: Fixture<kiln::db::$backend::Db>) -> Api {
            Api::new(ApiSingletons {
                fixture,
                timeout: Timeout::new(Duration::from_millis(100)).unwrap(),
                catch: CatchPanic::new(),
            })
        }

        async fn client(test: &str) -> Option<TestClient<Api>> {
            Some(TestClient::new(app($fixture(test, |b| b).await?)))
        }

        async fn rows(client: &TestClient<Api>, name: &str) -> String {
            let res = client.get("/count").header("x-name", name).send().await;
            assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
            res.text()
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn ok_commits() {
            let Some(c) = client("ok_commits").await else { return };
            let res = c.post("/ok").header("x-name", "a").send().await;
            assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
            assert_eq!(rows(&c, "a").await, "1");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn handler_err_rolls_back() {
            let Some(c) = client("handler_err_rolls_back").await else { return };
            let res = c.post("/err").header("x-name", "a").send().await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND);
            assert_eq!(rows(&c, "a").await, "0");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn later_short_circuit_rolls_back() {
            let Some(c) = client("later_short_circuit_rolls_back").await else { return };
            let res = c.post("/later").header("x-name", "a").header("x-deny", "1").send().await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            assert_eq!(rows(&c, "a").await, "0");
            // The same route without the short-circuit commits what `write_first` wrote.
            let res = c.post("/later").header("x-name", "b").send().await;
            assert_eq!(res.status(), StatusCode::CREATED);
            assert_eq!(rows(&c, "b").await, "1");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn extractor_rejection_rolls_back() {
            let Some(c) = client("extractor_rejection_rolls_back").await else { return };
            let json = |body: &'static str| {
                c.post("/json").header("x-name", "a").header("content-type", "application/json").body(body)
            };
            assert_eq!(json("{").send().await.status(), StatusCode::BAD_REQUEST);
            assert_eq!(rows(&c, "a").await, "0");
            assert_eq!(json("{}").send().await.status(), StatusCode::CREATED);
            assert_eq!(rows(&c, "a").await, "1");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn timeout_rolls_back() {
            let Some(c) = client("timeout_rolls_back").await else { return };
            let res = no_hang("the timed-out request", c.post("/slow").header("x-name", "a").send()).await;
            assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
            assert_eq!(rows(&c, "a").await, "0");
            // The writer is free again: the rollback was awaited, not left to a drop.
            let res = c.post("/ok").header("x-name", "b").send().await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn panic_rolls_back() {
            let Some(c) = client("panic_rolls_back").await else { return };
            let res = c.post("/panic").header("x-name", "a").send().await;
            assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(rows(&c, "a").await, "0");
            let res = c.post("/ok").header("x-name", "b").send().await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn failed_commit_replaces_the_response() {
            let Some(c) = client("failed_commit_replaces_the_response").await else { return };
            let res = c.post("/orphan").send().await;
            assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{}", res.text());
            let body: serde_json::Value = res.json();
            assert_eq!(body["code"], "db_error");
            let text = res.text().to_lowercase();
            assert!(!text.contains("foreign") && !text.contains("insert"), "no driver detail: {text}");
            // Nothing was kept, and the writer works.
            let res = c.post("/ok").header("x-name", "b").send().await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn unique_violation_is_409_when_opted_in() {
            let Some(c) = client("unique_violation_is_409_when_opted_in").await else { return };
            assert_eq!(c.post("/unique").header("x-name", "a").send().await.status(), StatusCode::CREATED);
            let res = c.post("/unique").header("x-name", "a").send().await;
            assert_eq!(res.status(), StatusCode::CONFLICT);
            let body: serde_json::Value = res.json();
            assert_eq!(body["code"], "unique_violation");
            assert_eq!(body["detail"], "that name is taken");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn commit_predicate_is_configurable() {
            fn only_201(res: &Response) -> bool {
                res.status() == StatusCode::CREATED
            }
            let Some(c) = client("commit_predicate_default").await else { return };
            assert_eq!(c.post("/ok200").header("x-name", "a").send().await.status(), StatusCode::OK);
            assert_eq!(rows(&c, "a").await, "1", "by default a 200 commits");

            let Some(f) = $fixture("commit_predicate_is_configurable", |b| b.commit_if(only_201)).await else { return };
            let c = TestClient::new(app(f));
            assert_eq!(c.post("/ok200").header("x-name", "a").send().await.status(), StatusCode::OK);
            assert_eq!(rows(&c, "a").await, "0", "`only_201` rolls a 200 back");
            assert_eq!(c.post("/ok").header("x-name", "b").send().await.status(), StatusCode::CREATED);
            assert_eq!(rows(&c, "b").await, "1");
        }
    };
}

pub(crate) use suite;
