//! The battery with a real client library: Python's `h2`, from
//! `tests/tests/h2_abuse/battery.py`, against this process's server.

use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python3 and python3-h2 (installed by the script when missing); run with --ignored"]
async fn battery() {
    let server = super::support::start(super::Target, super::config()).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/h2_abuse/battery.py");
    let port = server.addr.port().to_string();
    let pid = std::process::id().to_string();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(script.replace(".py", ".sh"))
            .arg(port)
            .arg(pid)
            .status()
    })
    .await
    .unwrap()
    .expect("runs bash");
    assert!(status.success(), "the battery failed: {status}");
    assert!(super::frames::served(server.addr, Duration::from_secs(2)).await);
    server.stop().await;
}
