//! Publishing notifies followers through the outbox: each follower gets
//! exactly one notification, a rolled-back article none, and a worker that
//! dies mid-job leaves the job to the next one, which adds no duplicate.
//! Each test runs on a SQLite file and on a fresh Postgres database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kiln::prelude::*;
use kiln::tasks::{Handlers, TaskConfig, Tasks};
use serde_json::{Value, json};

use super::support::{
    TestDb, client, eventually, follow, postgres, publish, refuse_tag_boom, scalar, sign_up,
    sqlite_file,
};
use crate::Conduit;
use crate::db::Database;
use crate::notifications::{self, NOTIFY_FOLLOWERS, NotifyFollowers};

/// Runs each flow as two tests: on a SQLite file, and on a fresh
/// Postgres database when there is a server.
macro_rules! on_both {
    ($($flow:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $flow() {
                    super::$flow(super::sqlite_file().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $flow() {
                    let test = concat!("conduit postgres ", stringify!($flow));
                    if let Some(db) = super::postgres(test).await {
                        super::$flow(db).await;
                    }
                }
            )*
        }
    };
}

on_both!(
    each_follower_is_notified_once,
    a_rolled_back_article_notifies_no_one,
    a_job_whose_worker_died_runs_again_without_duplicates,
);

/// A worker's idle poll in these tests.
const POLL: Duration = Duration::from_millis(10);

fn tasks() -> Tasks {
    Tasks::new(
        TaskConfig::default()
            .timeout(Duration::from_secs(5))
            .backoff(Duration::from_millis(10), Duration::from_millis(50)),
    )
}

/// The slugs of the articles in the signed-in user's notifications.
async fn inbox(c: &TestClient<Conduit>, token: &str) -> Vec<String> {
    let res = c
        .get("/api/notifications")
        .header("authorization", token)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    res.json::<Value>()["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["article"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// How many outbox jobs are in `state`.
async fn jobs(db: &Database, state: &str) -> i64 {
    scalar(
        db,
        &format!("SELECT count(*) FROM kiln_tasks WHERE state = '{state}'"),
    )
    .await
}

/// Waits for `n` outbox jobs to be done.
async fn done(db: &Database, n: i64) {
    eventually("the outbox jobs to be done", move || async move {
        jobs(db, "done").await == n
    })
    .await;
}

async fn each_follower_is_notified_once(fx: TestDb) {
    let db = fx.db.clone();
    let tasks = tasks();
    let c = client(&db, &tasks);
    let ada = sign_up(&c, "ada").await;
    let bob = sign_up(&c, "bob").await;
    let cid = sign_up(&c, "cid").await;
    follow(&c, &bob, "ada").await;
    follow(&c, &cid, "ada").await;
    // Ada follows bob: she is no follower of her own article.
    follow(&c, &ada, "bob").await;
    let worker = db.worker(&tasks, notifications::handlers(&db), POLL, None);

    let slug = publish(&c, &ada, "Dragons", &[]).await;
    done(&db, 1).await;
    assert!(worker.shutdown(Duration::from_secs(5)).await.complete());

    assert_eq!(inbox(&c, &bob).await, std::slice::from_ref(&slug));
    assert_eq!(inbox(&c, &cid).await, std::slice::from_ref(&slug));
    assert_eq!(inbox(&c, &ada).await, Vec::<String>::new());
    assert_eq!(scalar(&db, "SELECT count(*) FROM notifications").await, 2);
    let body = c
        .get("/api/notifications")
        .header("authorization", &bob)
        .send()
        .await
        .json::<Value>();
    assert_eq!(
        body["notifications"][0]["article"],
        json!({"slug": slug, "title": "Dragons", "author": "ada"})
    );
    let counters = tasks.counters();
    assert_eq!((counters.enqueued, counters.done), (1, 1));
}

async fn a_rolled_back_article_notifies_no_one(fx: TestDb) {
    let db = fx.db.clone();
    let tasks = tasks();
    let c = client(&db, &tasks);
    let ada = sign_up(&c, "ada").await;
    let bob = sign_up(&c, "bob").await;
    follow(&c, &bob, "ada").await;

    // The tags are written after the article and its job: this one fails there.
    refuse_tag_boom(&db).await;
    let res = c
        .post("/api/articles")
        .header("authorization", &ada)
        .json(&json!({"article": {"title": "Boom", "description": "d", "body": "b", "tagList": ["boom"]}}))
        .send()
        .await;
    assert!(
        res.status().is_client_error() || res.status().is_server_error(),
        "{}: {}",
        res.status(),
        res.text()
    );
    assert_eq!(tasks.counters().enqueued, 1, "the job was written...");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM kiln_tasks").await,
        0,
        "...and rolled back with the article"
    );
    assert_eq!(scalar(&db, "SELECT count(*) FROM articles").await, 0);

    // A worker finds only the next, committed, article's job.
    let worker = db.worker(&tasks, notifications::handlers(&db), POLL, None);
    let slug = publish(&c, &ada, "Kept", &["kept"]).await;
    done(&db, 1).await;
    assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
    assert_eq!(inbox(&c, &bob).await, [slug]);
    assert_eq!(scalar(&db, "SELECT count(*) FROM kiln_tasks").await, 1);
}

async fn a_job_whose_worker_died_runs_again_without_duplicates(fx: TestDb) {
    let db = fx.db.clone();
    // The lease, and the attempt timeout under it: the first attempt must
    // still be running (not timed out) when its worker is killed.
    let lease = Duration::from_secs(2);
    let tasks = Tasks::new(TaskConfig::default().timeout(lease));
    let c = client(&db, &tasks);
    let ada = sign_up(&c, "ada").await;
    let bob = sign_up(&c, "bob").await;
    let cid = sign_up(&c, "cid").await;
    follow(&c, &bob, "ada").await;
    follow(&c, &cid, "ada").await;
    // No worker yet: the job waits in the outbox.
    let slug = publish(&c, &ada, "Survivor", &[]).await;

    // The first worker does the job's work, then hangs before it could
    // mark the job done: it is killed there, the worst moment for duplicates.
    let wrote = Arc::new(AtomicBool::new(false));
    let hanging = {
        let (db, wrote) = (db.clone(), Arc::clone(&wrote));
        Handlers::new().on(NOTIFY_FOLLOWERS, move |job: NotifyFollowers| {
            let (db, wrote) = (db.clone(), Arc::clone(&wrote));
            async move {
                notifications::notify_followers(&db, &job).await?;
                wrote.store(true, Ordering::SeqCst);
                std::future::pending::<Result<(), sqlx::Error>>().await
            }
        })
    };
    let first = db.worker(&tasks, hanging, POLL, Some(lease));
    eventually("the first attempt to write", || {
        std::future::ready(wrote.load(Ordering::SeqCst))
    })
    .await;
    first.abort();
    assert_eq!(scalar(&db, "SELECT count(*) FROM notifications").await, 2);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM kiln_tasks \
             WHERE state = 'pending' AND attempts = 1 AND locked_until IS NOT NULL"
        )
        .await,
        1,
        "still leased by the dead worker"
    );

    let second = db.worker(&tasks, notifications::handlers(&db), POLL, Some(lease));
    done(&db, 1).await;
    assert!(second.shutdown(Duration::from_secs(5)).await.complete());
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM kiln_tasks WHERE state = 'done' AND attempts = 2"
        )
        .await,
        1,
        "run again after the lease"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM notifications").await,
        2,
        "the second run added none"
    );
    assert_eq!(inbox(&c, &bob).await, std::slice::from_ref(&slug));
    assert_eq!(inbox(&c, &cid).await, [slug]);
}
