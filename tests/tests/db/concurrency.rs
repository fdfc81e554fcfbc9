//! 32 concurrent writers on one SQLite file: every request is answered
//! `201`, none sees `SQLITE_BUSY`, and no write is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln::db::sqlite::{Db, DbRead, Tx};
use kiln::db::{DbError, sqlx};
use kiln::prelude::*;

use crate::support::{Fixture, sqlite_db};

const WRITERS: usize = 32;
const TRANSACTIONS: usize = 2_000;

/// Reads, then writes, in one transaction: the pattern that fails with
/// `SQLITE_BUSY_SNAPSHOT` under a deferred `BEGIN` when another writer
/// commits in between.
#[handler]
async fn create(tx: &mut Tx, req: &Request) -> Result<StatusCode, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM items")
        .fetch_one(&mut **tx)
        .await?;
    let name = format!("{}-{n}", req.uri().query().unwrap_or_default());
    sqlx::query("INSERT INTO items (name) VALUES ($1)")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(StatusCode::CREATED)
}

#[handler]
async fn count(read: &mut DbRead) -> Result<String, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM items")
        .fetch_one(&mut **read)
        .await?;
    Ok(n.to_string())
}

#[provider]
fn writers_db(fixture: &Fixture<Db>) -> Db {
    fixture.db.clone()
}

chain! {
    struct Writers;
    singletons { fixture: Fixture<Db>, db: Db = writers_db }
    request { kiln::db::sqlite::tx, kiln::db::sqlite::read }
    routes {
        POST "/items" => create,
        GET "/count" => count,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_lose_nothing_and_never_see_busy() {
    let fixture = sqlite_db("concurrent_writers", |b| b).await.unwrap();
    let client = Arc::new(TestClient::new(Writers::new(WritersSingletons { fixture })));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (client, next) = (client.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < TRANSACTIONS {
                let res = client.post(&format!("/items?w{w}")).send().await;
                if res.status() != StatusCode::CREATED {
                    failures.push(format!("{} {}", res.status(), res.text()));
                }
                // Readers run alongside the writers (WAL: neither blocks the other).
                if w % 8 == 0 {
                    let res = client.get("/count").send().await;
                    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of {TRANSACTIONS} failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    let res = client.get("/count").send().await;
    assert_eq!(
        res.text(),
        TRANSACTIONS.to_string(),
        "every committed write is there"
    );
}
