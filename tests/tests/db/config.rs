//! The builder refuses settings that cannot work, with a message that names
//! the setting; `Db::memory` serves transactions and reads.

use std::time::Duration;

use kiln::db::sqlite::Db;
use kiln::db::{DbErrorKind, postgres, sqlx};
use kiln::prelude::*;

async fn refused(builder: kiln::db::sqlite::Builder) -> String {
    let err = builder.connect().await.unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::Config, "{err}");
    err.to_string()
}

#[tokio::test]
async fn nonsense_settings_are_refused() {
    let url = "sqlite::memory:";
    let msg = refused(Db::builder(url).max_connections(0)).await;
    assert!(
        msg.contains("`max_connections` must be at least 1"),
        "{msg}"
    );
    let msg = refused(Db::builder(url).max_connections(2).min_connections(3)).await;
    assert!(
        msg.contains("`min_connections` (3) is more than `max_connections` (2)"),
        "{msg}"
    );
    let msg = refused(Db::builder(url).acquire_timeout(Duration::ZERO)).await;
    assert!(msg.contains("zero `acquire_timeout`"), "{msg}");
    let msg = refused(Db::builder(url).busy_timeout(Duration::ZERO)).await;
    assert!(msg.contains("zero `busy_timeout`"), "{msg}");
    let msg = refused(Db::builder(url).acquire_timeout(Duration::from_hours(2))).await;
    assert!(msg.contains("over an hour"), "{msg}");
    let msg = refused(Db::builder("postgres://localhost/app")).await;
    assert!(
        msg.contains("a SQLite database needs a URL starting with `sqlite:`"),
        "{msg}"
    );
    let msg = refused(Db::builder("sqlite://x.db?mode=sideways")).await;
    assert!(msg.contains("invalid SQLite URL"), "{msg}");

    let err = postgres::Db::builder("sqlite://app.db")
        .connect()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("`postgres:` or `postgresql:`"),
        "{err}"
    );
}

#[tokio::test]
async fn memory_serves_transactions_and_reads() {
    let db = Db::memory().await.unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(db.write_pool())
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut res = StatusCode::OK.into_response();
    tx.finish(&mut res).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut read = db.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
        .fetch_one(&mut *read)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
