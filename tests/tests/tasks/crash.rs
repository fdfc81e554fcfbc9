//! A worker process killed with `SIGKILL` mid-job: the job stays leased in
//! the SQLite file, and once the lease runs out a worker in this process
//! runs it. The child is this test binary run again for the one ignored
//! test below, which does its part only when `KILN_TASKS_CHILD_DB` names
//! the database.

use std::process::{Command, Stdio};
use std::time::Duration;

use kiln::db::sqlite::Db;
use kiln::db::sqlx;
use kiln::tasks::{Handlers, Job, TaskConfig, Tasks, Worker, install_outbox};

use crate::eventually;
use crate::outbox::Seen;
use crate::support::TempDir;

const CHILD_DB: &str = "KILN_TASKS_CHILD_DB";
const LEASE: Duration = Duration::from_millis(500);

fn tasks() -> Tasks {
    Tasks::new(TaskConfig::default().timeout(Duration::from_millis(400)))
}

/// The child: claims the job and hangs in it, after leaving a marker file.
#[tokio::test]
#[ignore = "run by `a_killed_worker_process_loses_no_job` as its child process"]
async fn child_worker_that_hangs() {
    let Ok(url) = std::env::var(CHILD_DB) else {
        return;
    };
    let marker = std::env::var("KILN_TASKS_CHILD_MARKER").unwrap();
    let db = Db::connect(&url).await.unwrap();
    let handlers = Handlers::new().on("note", move |_: String| {
        std::fs::write(&marker, b"started").unwrap();
        std::future::pending::<Result<(), std::io::Error>>()
    });
    let _worker = Worker::new(&tasks(), db, handlers)
        .lease(LEASE)
        .poll_interval(Duration::from_millis(10))
        .start();
    // Until killed.
    tokio::time::sleep(Duration::from_mins(1)).await;
}

#[tokio::test]
async fn a_killed_worker_process_loses_no_job() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("crash.db");
    let marker = dir.path().join("started");
    let db = Db::connect(&url).await.unwrap();
    install_outbox(&db).await.unwrap();
    let tasks = tasks();
    let mut tx = db.begin().await.unwrap();
    tasks
        .enqueue(&mut tx, Job::new("note", &"survivor").unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::child_worker_that_hangs",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DB, &url)
        .env("KILN_TASKS_CHILD_MARKER", &marker)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    eventually("the child to start the job", || marker.exists()).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (attempts, leased): (i32, bool) =
        sqlx::query_as("SELECT attempts, locked_until IS NOT NULL FROM kiln_tasks")
            .fetch_one(db.write_pool())
            .await
            .unwrap();
    assert_eq!((attempts, leased), (1, true), "claimed by the killed child");

    let seen = Seen::default();
    let recording = {
        let seen = seen.clone();
        Handlers::new().on("note", move |text: String| {
            seen.push(text);
            async { Ok::<(), std::io::Error>(()) }
        })
    };
    let worker = Worker::new(&tasks, db.clone(), recording)
        .lease(LEASE)
        .poll_interval(Duration::from_millis(10))
        .start();
    eventually("the job to run after the lease", || !seen.get().is_empty()).await;
    assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
    assert_eq!(seen.get(), ["survivor"]);
    let (state, attempts): (String, i32) = sqlx::query_as("SELECT state, attempts FROM kiln_tasks")
        .fetch_one(db.write_pool())
        .await
        .unwrap();
    assert_eq!((state.as_str(), attempts), ("done", 2));
}
