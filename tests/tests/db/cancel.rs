//! A `begin` dropped after its `BEGIN` ran on the server but before the reply
//! was read (a client that went away mid-request) leaves no transaction behind:
//! the next statement on the same pooled connection commits on its own. sqlx
//! 0.9's Postgres `begin` alone fails this (launchbadge/sqlx#4393): the write
//! below would stay invisible to every other connection, held in a transaction
//! that nothing ends. (SQLite's `begin` rolls back a `BEGIN` nobody awaited
//! inside sqlx's worker.)

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use kiln::db::{postgres, sqlx};

use crate::support::{MIGRATOR, no_hang, postgres_fresh};

/// Whether a client backend of this database other than `other`'s own is
/// inside a transaction.
async fn someone_in_a_transaction(other: &sqlx::PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() \
         AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
    )
    .fetch_one(other)
    .await
    .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_a_cancelled_begin_leaves_no_transaction_open() {
    let Some((_, url)) = postgres_fresh("postgres_a_cancelled_begin").await else {
        return;
    };
    let db = postgres::Db::builder(&url)
        .max_connections(1)
        .ping_after_idle(Duration::from_hours(1))
        .migrations(&MIGRATOR)
        .connect()
        .await
        .unwrap();
    let other = sqlx::PgPool::connect(&url).await.unwrap();
    // Poll a `begin` one step at a time (this runtime has one thread: it
    // reads no reply unless polled) until the server shows its transaction
    // open, then drop it with the reply unread. A reply can come back within
    // the poll that sent the BEGIN: that `begin` completed, so try again.
    let cancelled = no_hang("a begin seen by the server", async {
        for _ in 0..50 {
            // The one connection idle in the pool: the first poll sends the BEGIN.
            while db.write_pool().num_idle() == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let mut begin = pin!(db.begin());
            loop {
                if poll_fn(|cx| Poll::Ready(begin.as_mut().poll(cx).is_ready())).await {
                    break;
                }
                // Time for a BEGIN on the wire to run; its reply waits unread.
                tokio::time::sleep(Duration::from_millis(20)).await;
                if someone_in_a_transaction(&other).await {
                    return true;
                }
            }
            // (The completed `begin` is dropped here, its transaction rolled back.)
        }
        false
    })
    .await;
    assert!(
        cancelled,
        "in 50 tries, every BEGIN's reply was read within the poll that sent it"
    );
    no_hang(
        "the write after the cancelled begin",
        sqlx::query("INSERT INTO items (name) VALUES ('after')").execute(db.write_pool()),
    )
    .await
    .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM items WHERE name = 'after'")
        .fetch_one(&other)
        .await
        .unwrap();
    assert_eq!(
        seen, 1,
        "a write outside any transaction is invisible to other connections"
    );
    assert!(!someone_in_a_transaction(&other).await);
}
