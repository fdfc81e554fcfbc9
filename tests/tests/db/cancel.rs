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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::support::{MIGRATOR, no_hang, postgres_fresh};

/// A TCP proxy in front of the Postgres of `url` that forwards the client's
/// bytes at once and the server's only while the returned flag is `false`:
/// with it set, a `BEGIN` reaches the server and its reply waits in the
/// proxy, so the `begin` is cancelled in that window on every run, however
/// fast the server answers. Returns the URL through the proxy.
async fn holding_proxy(url: &str) -> (String, watch::Sender<bool>) {
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (server, db) = rest.split_once('/').unwrap();
    let server = server.to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxied = format!("{scheme_user}@{}/{db}", listener.local_addr().unwrap());
    let (hold, gate) = watch::channel(false);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(&server).await.unwrap();
            let (mut client_r, mut client_w) = client.into_split();
            let (mut server_r, mut server_w) = upstream.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_r, &mut server_w).await;
            });
            let mut gate = gate.clone();
            tokio::spawn(async move {
                let mut buf = vec![0; 8192];
                while let Ok(n @ 1..) = server_r.read(&mut buf).await {
                    // A closed sender (the test ended) releases everything.
                    let _ = gate.wait_for(|held| !*held).await;
                    if client_w.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (proxied, hold)
}

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
    // kiln's pool reaches Postgres through the proxy; `other` directly.
    let (proxied, hold) = holding_proxy(&url).await;
    let db = postgres::Db::builder(&proxied)
        .max_connections(1)
        .ping_after_idle(Duration::from_hours(1))
        .migrations(&MIGRATOR)
        .connect()
        .await
        .unwrap();
    let other = sqlx::PgPool::connect(&url).await.unwrap();
    // Send a `BEGIN` with its reply held, wait until the server shows the
    // transaction open, then drop the `begin` with the reply unread.
    no_hang("an idle connection", async {
        // So that the first poll sends the BEGIN (no connect through the held proxy).
        while db.write_pool().num_idle() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    hold.send_replace(true);
    no_hang("a begin seen by the server", async {
        let mut begin = pin!(db.begin());
        let ready = poll_fn(|cx| Poll::Ready(begin.as_mut().poll(cx).is_ready())).await;
        assert!(!ready, "a begin completed with its reply held");
        while !someone_in_a_transaction(&other).await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    hold.send_replace(false);
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
