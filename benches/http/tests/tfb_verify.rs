//! The TFB verifier against the kiln `db` and `tx` servers on SQLite (no
//! Postgres needed): every endpoint conforms, and a server that does not
//! (a wrong fortunes page, unclamped queries) is caught. Runs the debug
//! `server_kiln` binary on a temporary database; a few seconds.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_http_suite::tfb::{self, DbKind, setup, verify};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(scenario: &str, url: &str) -> (Server, u16) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_server_kiln"))
        .args([
            "--scenario",
            scenario,
            "--db",
            "sqlite",
            "--port",
            &port.to_string(),
        ])
        .env(tfb::DB_URL_ENV, url)
        .stdin(Stdio::null())
        .spawn()
        .expect("server_kiln starts");
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(server.0.try_wait().unwrap().is_none(), "server_kiln exited");
        assert!(Instant::now() < deadline, "server_kiln did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

#[test]
fn kiln_db_server_conforms_to_tfb_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt
        .block_on(setup::sqlite(&dir.path().join("tfb.sqlite")))
        .unwrap();
    let before = rt
        .block_on(verify::world_table(DbKind::Sqlite, &url))
        .unwrap();
    assert_eq!(before.len(), 10_000);
    assert!(before.values().all(|n| (1..=10_000).contains(n)));

    let (server, port) = start("db", &url);
    verify::db_server(verify::Target {
        port,
        db: DbKind::Sqlite,
        url: &url,
    })
    .unwrap();
    let after = rt
        .block_on(verify::world_table(DbKind::Sqlite, &url))
        .unwrap();
    assert!(
        before
            .iter()
            .filter(|(id, n)| after.get(id) != Some(n))
            .count()
            > 450,
        "the updates changed the database"
    );
    drop(server);

    let (_server, port) = start("tx", &url);
    verify::tx_server(port).unwrap();
}

#[test]
fn a_server_that_does_not_conform_is_caught() {
    // The `basic` server has none of the TFB routes: every check must fail,
    // naming the endpoint, and none may pass by accident.
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt
        .block_on(setup::sqlite(&dir.path().join("tfb.sqlite")))
        .unwrap();
    let (_server, port) = start("basic", &url);
    let err = verify::db_server(verify::Target {
        port,
        db: DbKind::Sqlite,
        url: &url,
    })
    .unwrap_err();
    for path in [
        "/plaintext",
        "/db",
        "/queries?queries=foo",
        "/fortunes",
        "/updates?queries=501",
    ] {
        assert!(
            err.contains(&format!("{path}: ")),
            "{path} not reported in:\n{err}"
        );
    }
    // `/json` exists in `basic` but has no `Server` header.
    assert!(
        err.contains("/json: required header `server` missing"),
        "{err}"
    );
}
