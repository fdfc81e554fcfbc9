//! Migrations at startup: applied once, and a failed one stops startup with
//! an error that names it and its statement, on both backends.

use std::borrow::Cow;

use kiln::db::sqlx::migrate::{Migration, MigrationType, Migrator};
use kiln::db::sqlx::{self, AssertSqlSafe, SqlSafeStr};
use kiln::db::{DbErrorKind, postgres, sqlite};

use crate::support::{MIGRATOR, TempDir, postgres_fresh};

fn migration(version: i64, description: &'static str, sql: &str) -> Migration {
    Migration::new(
        version,
        Cow::Borrowed(description),
        MigrationType::Simple,
        AssertSqlSafe(sql.to_owned()).into_sql_str(),
        false,
    )
}

/// Migration 2's second statement has a typo.
fn broken() -> &'static Migrator {
    Box::leak(Box::new(Migrator::with_migrations(vec![
        migration(1, "first", "CREATE TABLE first (x INTEGER);"),
        migration(
            2,
            "broken",
            "CREATE TABLE second (x INTEGER);\n-- the typo:\nCREATE TABL third (y INTEGER);\nCREATE TABLE fourth (z INTEGER);",
        ),
    ])))
}

fn check_message(message: &str) {
    assert!(message.contains("migration 2 (broken) failed"), "{message}");
    assert!(message.contains("at statement 2 of 3"), "{message}");
    assert!(
        message.contains("CREATE TABL third (y INTEGER)"),
        "{message}"
    );
}

#[tokio::test]
async fn sqlite_failed_migration_names_migration_and_statement() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("m.db");
    let err = sqlite::Db::builder(&url)
        .migrations(broken())
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::Migration);
    check_message(&err.to_string());

    // Migration 1 stays applied; migration 2 left nothing behind.
    let db = sqlite::Db::connect(&url).await.unwrap();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name")
            .fetch_all(db.read_pool())
            .await
            .unwrap();
    assert_eq!(tables, [("first".to_owned(),)]);
}

#[tokio::test]
async fn postgres_failed_migration_names_migration_and_statement() {
    let Some((_, url)) =
        postgres_fresh("postgres_failed_migration_names_migration_and_statement").await
    else {
        return;
    };
    let err = postgres::Db::builder(&url)
        .migrations(broken())
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::Migration);
    check_message(&err.to_string());
    let db = postgres::Db::connect(&url).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY 1",
    )
    .fetch_all(db.read_pool())
    .await
    .unwrap();
    assert_eq!(tables, [("first".to_owned(),)]);
}

#[tokio::test]
async fn migrations_run_once_and_a_changed_one_is_refused() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("m.db");
    let db = sqlite::Db::builder(&url)
        .migrations(&MIGRATOR)
        .connect()
        .await
        .unwrap();
    sqlx::query("INSERT INTO items (name) VALUES ('kept')")
        .execute(db.write_pool())
        .await
        .unwrap();
    db.close().await;

    // A restart applies nothing again: the row is still there.
    let db = sqlite::Db::builder(&url)
        .migrations(&MIGRATOR)
        .connect()
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM items")
        .fetch_one(db.read_pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    db.close().await;

    // An applied migration whose text changed is refused at startup.
    let changed: &'static Migrator =
        Box::leak(Box::new(Migrator::with_migrations(vec![migration(
            1,
            "items",
            "CREATE TABLE items (name TEXT);",
        )])));
    let err = sqlite::Db::builder(&url)
        .migrations(changed)
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::Migration);
    assert!(err.to_string().contains("has been changed"), "{err}");
}
