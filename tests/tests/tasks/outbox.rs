//! The outbox, on both backends: a job enqueued in a rolled-back
//! transaction never runs and a committed one runs once; an idempotency key
//! writes a job once; a worker that dies mid-job leaves it, leased, to the
//! next worker after the lease; two workers never run one job twice; a
//! shutdown hands unfinished jobs back; a commit wakes an idle worker; a
//! worker claims as many jobs as it has free slots, and runs no more.

/// What the handlers saw, shared with the test.
#[derive(Clone, Default)]
pub(crate) struct Seen(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Seen {
    pub(crate) fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }

    pub(crate) fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// `suite!(sqlite, sqlite_db)`: the app and the tests for one backend.
macro_rules! suite {
    ($backend:ident, $fixture:ident) => {
        use std::time::Duration;

        use kiln::db::sqlx;
        use kiln::prelude::*;
        use kiln::tasks::{Enqueued, Handlers, Job, TaskConfig, Tasks, Worker, install_outbox};

        use crate::eventually;
        use crate::outbox::Seen;
        use crate::support::$fixture;

        type Db = kiln::db::$backend::Db;

        #[derive(serde::Serialize, serde::Deserialize)]
        struct Note {
            text: String,
        }

        /// Enqueues a note in the request's transaction; `x-fail` makes the
        /// request fail afterwards, so the transaction rolls back.
        #[handler]
        async fn note(
            tasks: &Tasks,
            tx: &mut kiln::db::$backend::Tx,
            req: &Request,
        ) -> Result<StatusCode, kiln::Error> {
            let text = req.headers()["x-text"].to_str().unwrap().to_owned();
            let job = Job::new("note", &Note { text }).map_err(|_| kiln::Error::internal())?;
            tasks.enqueue(tx, job).await?;
            if req.headers().contains_key("x-fail") {
                return Err(kiln::Error::conflict());
            }
            Ok(StatusCode::CREATED)
        }

        chain! {
            struct Notes;
            singletons { tasks: Tasks, db: Db }
            request { kiln::db::$backend::tx }
            routes { POST "/notes" => note }
        }

        fn app(tasks: &Tasks, db: &Db) -> Notes {
            Notes::new(NotesSingletons {
                tasks: tasks.clone(),
                db: db.clone(),
            })
        }

        fn tasks() -> Tasks {
            Tasks::new(
                TaskConfig::default()
                    .timeout(Duration::from_secs(5))
                    .backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
        }

        fn recording(seen: &Seen) -> Handlers {
            let seen = seen.clone();
            Handlers::new().on("note", move |note: Note| {
                let seen = seen.clone();
                async move {
                    seen.push(note.text);
                    Ok::<(), std::io::Error>(())
                }
            })
        }

        /// `(state, attempts, locked)` of every job, by id.
        async fn rows(db: &Db) -> Vec<(String, i32, bool)> {
            sqlx::query_as(
                "SELECT state, attempts, locked_until IS NOT NULL FROM kiln_tasks ORDER BY id",
            )
            .fetch_all(db.write_pool())
            .await
            .unwrap()
        }

        #[tokio::test]
        async fn a_rolled_back_job_never_runs_and_a_committed_one_runs_once() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_commit"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = tasks();
            let client = TestClient::new(app(&tasks, &fx.db));
            let sent = client
                .post("/notes")
                .header("x-text", "dropped")
                .header("x-fail", "1")
                .send()
                .await;
            assert_eq!(sent.status(), StatusCode::CONFLICT);
            let sent = client.post("/notes").header("x-text", "kept").send().await;
            assert_eq!(sent.status(), StatusCode::CREATED);
            assert_eq!(tasks.counters().enqueued, 2, "both inserts ran");

            let seen = Seen::default();
            let worker = Worker::new(&tasks, fx.db.clone(), recording(&seen))
                .poll_interval(Duration::from_millis(10))
                .start();
            eventually("the committed job to run", || !seen.get().is_empty()).await;
            // Time for a duplicate run or the rolled-back job to show up.
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(worker.shutdown(Duration::from_secs(5)).await.complete());

            assert_eq!(seen.get(), ["kept"]);
            assert_eq!(rows(&fx.db).await, [("done".to_owned(), 1, false)]);
            assert_eq!(tasks.counters().done, 1);
        }

        #[tokio::test]
        async fn a_commit_wakes_an_idle_worker_of_its_process() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_wake"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = tasks();
            let seen = Seen::default();
            // A poll interval no test waits out: only the commit can start the job.
            let worker = Worker::new(&tasks, fx.db.clone(), recording(&seen))
                .poll_interval(Duration::from_hours(1))
                .start();
            // Let its first claim find nothing and the worker go idle.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let client = TestClient::new(app(&tasks, &fx.db));
            let sent = client.post("/notes").header("x-text", "woken").send().await;
            assert_eq!(sent.status(), StatusCode::CREATED);
            eventually("the committed job to run before the next poll", || {
                !seen.get().is_empty()
            })
            .await;
            assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
            assert_eq!(seen.get(), ["woken"]);
        }

        #[tokio::test]
        async fn an_idempotency_key_writes_the_job_once() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_key"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = tasks();
            for expected in [Enqueued::New, Enqueued::Duplicate] {
                let mut tx = fx.db.begin().await.unwrap();
                let job = Job::new(
                    "note",
                    &Note {
                        text: "once".into(),
                    },
                )
                .unwrap()
                .key("note-1");
                assert_eq!(tasks.enqueue(&mut tx, job).await.unwrap(), expected);
                tx.commit().await.unwrap();
            }
            let seen = Seen::default();
            let worker = Worker::new(&tasks, fx.db.clone(), recording(&seen))
                .poll_interval(Duration::from_millis(10))
                .start();
            eventually("the job to run", || !seen.get().is_empty()).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
            assert_eq!(seen.get(), ["once"]);
        }

        #[tokio::test]
        async fn a_job_whose_worker_died_runs_again_after_the_lease() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_crash"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = Tasks::new(TaskConfig::default().timeout(Duration::from_millis(300)));
            let mut tx = fx.db.begin().await.unwrap();
            let job = Job::new(
                "note",
                &Note {
                    text: "survivor".into(),
                },
            )
            .unwrap();
            tasks.enqueue(&mut tx, job).await.unwrap();
            tx.commit().await.unwrap();

            // The first worker's attempt hangs: it is running when the worker dies.
            let seen = Seen::default();
            let hanging = {
                let seen = seen.clone();
                Handlers::new().on("note", move |note: Note| {
                    seen.push(format!("started {}", note.text));
                    std::future::pending::<Result<(), std::io::Error>>()
                })
            };
            let lease = Duration::from_millis(400);
            let first = Worker::new(&tasks, fx.db.clone(), hanging)
                .lease(lease)
                .poll_interval(Duration::from_millis(10))
                .start();
            eventually("the first attempt to start", || !seen.get().is_empty()).await;
            first.abort();
            assert_eq!(
                rows(&fx.db).await,
                [("pending".to_owned(), 1, true)],
                "leased by the dead worker"
            );

            let second = Worker::new(&tasks, fx.db.clone(), recording(&seen))
                .lease(lease)
                .poll_interval(Duration::from_millis(10))
                .start();
            eventually("the job to run again", || seen.get().len() == 2).await;
            assert!(second.shutdown(Duration::from_secs(5)).await.complete());
            assert_eq!(seen.get(), ["started survivor", "survivor"]);
            assert_eq!(rows(&fx.db).await, [("done".to_owned(), 2, false)]);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn two_workers_run_each_job_once() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_two"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = tasks();
            let mut tx = fx.db.begin().await.unwrap();
            for i in 0..40 {
                let job = Job::new(
                    "note",
                    &Note {
                        text: format!("{i:02}"),
                    },
                )
                .unwrap();
                tasks.enqueue(&mut tx, job).await.unwrap();
            }
            tx.commit().await.unwrap();

            let seen = Seen::default();
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    Worker::new(&tasks, fx.db.clone(), recording(&seen))
                        .poll_interval(Duration::from_millis(5))
                        .start()
                })
                .collect();
            eventually("every job to run", || seen.get().len() >= 40).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            for worker in workers {
                assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
            }
            let mut ran = seen.get();
            ran.sort();
            let expected: Vec<String> = (0..40).map(|i| format!("{i:02}")).collect();
            assert_eq!(ran, expected, "each job exactly once");
            assert_eq!(tasks.counters().done, 40);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_worker_runs_as_many_jobs_at_once_as_its_concurrency_and_no_more() {
            use std::sync::Arc;
            use std::sync::atomic::{AtomicUsize, Ordering};

            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_batch"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = Tasks::new(TaskConfig::default().concurrency(3));
            let mut tx = fx.db.begin().await.unwrap();
            for _ in 0..12 {
                tasks
                    .enqueue(&mut tx, Job::new("busy", &()).unwrap())
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();

            // (running now, most at once, finished)
            let counts = Arc::new((
                AtomicUsize::new(0),
                AtomicUsize::new(0),
                AtomicUsize::new(0),
            ));
            let seen = Arc::clone(&counts);
            let handlers = Handlers::new().on("busy", move |(): ()| {
                let c = Arc::clone(&seen);
                async move {
                    let now = c.0.fetch_add(1, Ordering::SeqCst) + 1;
                    c.1.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    c.0.fetch_sub(1, Ordering::SeqCst);
                    c.2.fetch_add(1, Ordering::SeqCst);
                    Ok::<(), std::io::Error>(())
                }
            });
            let worker = Worker::new(&tasks, fx.db.clone(), handlers)
                .poll_interval(Duration::from_millis(5))
                .start();
            eventually("every job to finish", || {
                counts.2.load(Ordering::SeqCst) == 12
            })
            .await;
            assert!(worker.shutdown(Duration::from_secs(5)).await.complete());
            assert_eq!(counts.1.load(Ordering::SeqCst), 3, "jobs running at once");
            assert!(
                rows(&fx.db)
                    .await
                    .iter()
                    .all(|r| r == &("done".to_owned(), 1, false))
            );
        }

        #[tokio::test]
        async fn a_shutdown_hands_an_unfinished_job_back() {
            let Some(fx) = $fixture(concat!(stringify!($backend), "_outbox_drain"), |b| b).await
            else {
                return;
            };
            install_outbox(&fx.db).await.unwrap();
            let tasks = tasks();
            let mut tx = fx.db.begin().await.unwrap();
            tasks
                .enqueue(&mut tx, Job::new("slow", &()).unwrap())
                .await
                .unwrap();
            tx.commit().await.unwrap();

            let seen = Seen::default();
            let slow = {
                let seen = seen.clone();
                Handlers::new().on("slow", move |(): ()| {
                    seen.push("started".into());
                    async {
                        tokio::time::sleep(Duration::from_mins(1)).await;
                        Ok::<(), std::io::Error>(())
                    }
                })
            };
            let worker = Worker::new(&tasks, fx.db.clone(), slow)
                .poll_interval(Duration::from_millis(10))
                .start();
            eventually("the job to start", || !seen.get().is_empty()).await;
            let drained = worker.shutdown(Duration::from_millis(100)).await;
            assert_eq!(drained.abandoned, 1);
            // Back in the table, unleased, the attempt not counted.
            assert_eq!(rows(&fx.db).await, [("pending".to_owned(), 0, false)]);
        }
    };
}

mod sqlite {
    suite!(sqlite, sqlite_db);
}

mod postgres {
    suite!(postgres, postgres_db);
}
