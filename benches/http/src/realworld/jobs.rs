//! The peer's outbox: what an axum user who wants Conduit's follower
//! notification to be durable writes by hand — a jobs table, and one row
//! inserted in the article's transaction. It has the shape, the indexes and
//! the `INSERT` of kiln's outbox (`kiln_tasks`), so `create` does the same
//! database work on both servers. No worker runs it (kiln's Conduit is
//! started with `--no-worker` too).

use std::time::{SystemTime, UNIX_EPOCH};

/// Defines the table and its index in a backend's types for `id` and times.
macro_rules! schema {
    ($id:literal, $time:literal) => {
        concat!(
            "CREATE TABLE IF NOT EXISTS jobs (id ",
            $id,
            ", name TEXT NOT NULL, payload TEXT NOT NULL, ",
            "idempotency_key TEXT UNIQUE, state TEXT NOT NULL DEFAULT 'pending', ",
            "attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, ",
            "run_at ",
            $time,
            " NOT NULL, locked_until ",
            $time,
            ", last_error TEXT, ",
            "created_at ",
            $time,
            " NOT NULL, done_at ",
            $time,
            ");\n",
            "CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (run_at, id) WHERE state = 'pending';"
        )
    };
}

/// Postgres' table.
pub(super) const POSTGRES: &str = schema!("BIGSERIAL PRIMARY KEY", "BIGINT");

/// SQLite's table.
pub(super) const SQLITE: &str = schema!("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER");

/// The insert: name, payload, key, max attempts, run at, created at.
pub(super) const INSERT: &str = "INSERT INTO jobs (name, payload, idempotency_key, max_attempts, run_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING";

/// The job's name, as Conduit's.
pub(super) const NOTIFY_FOLLOWERS: &str = "notify_followers";

/// kiln's default attempt limit, which Conduit's job keeps.
pub(super) const MAX_ATTEMPTS: i32 = 5;

/// The payload of the notification of `article_id`.
pub(super) fn payload(article_id: i64) -> String {
    format!(r#"{{"article_id":{article_id}}}"#)
}

/// Now, in milliseconds since the epoch (the outbox's clock).
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
