//! A `Tasks` singleton of an app with `options { stats }` reports its
//! counters in `App::stats()` and `/metrics` without being registered.

use kiln::prelude::*;
use kiln::tasks::Tasks;

use crate::eventually;

#[handler]
fn spawn_ok(tasks: &Tasks) -> Result<StatusCode, kiln::Error> {
    tasks.spawn("ok", || async { Ok::<(), std::io::Error>(()) })?;
    Ok(StatusCode::ACCEPTED)
}

chain! {
    struct Counted;
    singletons { tasks: Tasks, motto: String }
    routes {
        POST "/jobs" => spawn_ok,
        GET "/metrics" => kiln::stats::prometheus,
        GET "/stats.json" => kiln::stats::json,
    }
    options { stats }
}

#[tokio::test]
async fn task_counters_appear_in_stats_and_metrics() {
    let tasks = Tasks::default();
    let client = TestClient::new(Counted::new(CountedSingletons {
        tasks: tasks.clone(),
        motto: "no counters here".into(),
    }));
    for _ in 0..3 {
        assert_eq!(
            client.post("/jobs").send().await.status(),
            StatusCode::ACCEPTED
        );
    }
    eventually("three jobs done", || tasks.counters().done == 3).await;

    let stats = client.app().stats();
    assert_eq!(stats.counters.len(), 1, "only the Tasks singleton reports");
    let tasks_counters = &stats.counters[0];
    assert_eq!(tasks_counters.singleton, "tasks");
    assert_eq!(tasks_counters.set.get("spawned"), Some(3));
    assert_eq!(tasks_counters.set.get("done"), Some(3));
    assert_eq!(tasks_counters.set.get("failed"), Some(0));

    let metrics = client.get("/metrics").send().await.text();
    assert_eq!(
        metrics.matches("# TYPE kiln_tasks_total counter").count(),
        1
    );
    assert!(
        metrics.contains(r#"kiln_tasks_total{app="Counted",singleton="tasks",event="done"} 3"#),
        "{metrics}"
    );
    let json: serde_json::Value = client.get("/stats.json").send().await.json();
    assert_eq!(json["counters"][0]["singleton"], "tasks");
    assert_eq!(json["counters"][0]["set"]["values"]["done"], 3);
}
