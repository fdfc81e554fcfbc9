//! The in-process queue: bounded, timed out, retried with backoff, dead
//! letters, drained on shutdown; a full queue is a 503 through `chain!`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kiln::prelude::*;
use kiln::tasks::{SpawnError, TaskConfig, Tasks};
use tokio::sync::Semaphore;

use crate::eventually;

/// What a job waits for before it ends: the test hands out permits.
#[derive(Clone)]
struct Gate(Arc<Semaphore>);

impl Gate {
    fn closed() -> Self {
        Gate(Arc::new(Semaphore::new(0)))
    }
}

#[handler]
fn spawn_gated(tasks: &Tasks, gate: &Gate) -> Result<StatusCode, kiln::Error> {
    let gate = gate.clone();
    tasks.spawn("gated", move || {
        let gate = gate.clone();
        async move {
            gate.0.acquire().await?.forget();
            Ok::<(), tokio::sync::AcquireError>(())
        }
    })?;
    Ok(StatusCode::ACCEPTED)
}

chain! {
    struct Jobs;
    singletons { tasks: Tasks, gate: Gate }
    routes { POST "/jobs" => spawn_gated }
}

fn app(tasks: &Tasks, gate: &Gate) -> Jobs {
    Jobs::new(JobsSingletons {
        tasks: tasks.clone(),
        gate: gate.clone(),
    })
}

fn quick() -> TaskConfig {
    TaskConfig::default().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

#[tokio::test]
async fn a_full_queue_answers_503_and_holds_no_more_jobs() {
    let tasks = Tasks::new(quick().capacity(2).concurrency(1));
    let gate = Gate::closed();
    let client = TestClient::new(app(&tasks, &gate));

    for _ in 0..2 {
        assert_eq!(
            client.post("/jobs").send().await.status(),
            StatusCode::ACCEPTED
        );
    }
    let full = client.post("/jobs").send().await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(full.header("retry-after"), Some("1"));
    let body: serde_json::Value = full.json();
    assert_eq!(body["code"], "tasks_full");
    assert_eq!(tasks.pending(), 2);
    assert_eq!(tasks.counters().rejected, 1);

    // A finished job frees its slot.
    gate.0.add_permits(1);
    eventually("one gated job to finish", || tasks.counters().done == 1).await;
    assert_eq!(
        client.post("/jobs").send().await.status(),
        StatusCode::ACCEPTED
    );

    gate.0.add_permits(2);
    assert!(tasks.shutdown(Duration::from_secs(10)).await.complete());
    let c = tasks.counters();
    assert_eq!((c.spawned, c.done, c.rejected), (3, 3, 1));
}

#[tokio::test]
async fn an_attempt_past_the_timeout_fails_and_the_job_ends_dead() {
    let tasks = Tasks::new(quick().timeout(Duration::from_millis(50)).max_attempts(2));
    let started = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&started);
    tasks
        .spawn("slow", move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_mins(1)).await;
                Ok::<(), std::io::Error>(())
            }
        })
        .unwrap();
    assert!(tasks.shutdown(Duration::from_secs(10)).await.complete());
    assert_eq!(started.load(Ordering::SeqCst), 2);
    let c = tasks.counters();
    assert_eq!((c.failed, c.retried, c.dead, c.done), (2, 1, 1, 0));
    let dead = tasks.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].name.as_str(), dead[0].attempts), ("slow", 2));
    assert!(dead[0].error.contains("timed out"), "{}", dead[0].error);
}

#[tokio::test]
async fn failures_are_retried_then_dead_lettered() {
    let tasks = Tasks::new(quick().max_attempts(3).dead_letters(1));
    let calls = Arc::new(AtomicU32::new(0));

    // Fails twice, then succeeds: done after two retries.
    let n = Arc::clone(&calls);
    tasks
        .spawn("flaky", move || {
            let attempt = n.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if attempt < 3 {
                    Err(format!("attempt {attempt} failed"))
                } else {
                    Ok(())
                }
            }
        })
        .unwrap();
    // Always fails (an `Err`, then panics): dead after three attempts.
    for name in ["broken", "panics"] {
        tasks
            .spawn(name, move || async move {
                assert!(name != "panics", "boom");
                Err::<(), _>("still broken")
            })
            .unwrap();
    }
    assert!(tasks.shutdown(Duration::from_secs(10)).await.complete());

    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let c = tasks.counters();
    assert_eq!((c.spawned, c.done, c.dead), (3, 1, 2));
    assert_eq!((c.failed, c.retried), (2 + 3 + 3, 2 + 2 + 2));
    let mut text = String::new();
    c.write_prometheus(&mut text);
    assert!(
        text.contains("kiln_tasks_total{event=\"dead\"} 2\n"),
        "{text}"
    );
    // One kept (`dead_letters(1)`): the last to die.
    let dead = tasks.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert!(["broken", "panics"].contains(&dead[0].name.as_str()));
}

#[tokio::test]
async fn shutdown_drains_running_jobs_and_refuses_new_ones() {
    let tasks = Tasks::new(quick());
    for _ in 0..3 {
        tasks
            .spawn("short", || async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<(), std::io::Error>(())
            })
            .unwrap();
    }
    let drained = tasks.shutdown(Duration::from_secs(10)).await;
    assert!(drained.complete());
    assert_eq!(tasks.counters().done, 3);
    let late = tasks.spawn("late", || async { Ok::<(), std::io::Error>(()) });
    assert_eq!(late, Err(SpawnError::ShuttingDown));
}

#[tokio::test]
async fn shutdown_cancels_what_outlasts_the_drain() {
    let tasks = Tasks::new(quick());
    tasks
        .spawn("endless", || async {
            tokio::time::sleep(Duration::from_mins(10)).await;
            Ok::<(), std::io::Error>(())
        })
        .unwrap();
    let drained = tasks.shutdown(Duration::from_millis(100)).await;
    assert_eq!(drained.abandoned, 1);
    assert_eq!(tasks.counters().abandoned, 1);
    assert_eq!(tasks.pending(), 0);
}
