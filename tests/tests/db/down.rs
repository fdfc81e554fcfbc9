//! A database that is busy, saturated or gone answers `503` with
//! `Retry-After` within the acquire timeout, the routes that do not need it
//! keep serving, and it recovers when the database is back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln::db::{DbError, postgres, sqlite, sqlx};
use kiln::prelude::*;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::support::{Fixture, MIGRATOR, no_hang, postgres_fresh, sqlite_db};

const ACQUIRE: Duration = Duration::from_millis(500);

#[handler]
fn health() -> &'static str {
    "ok"
}

#[handler]
async fn sqlite_create(tx: &mut sqlite::Tx) -> Result<StatusCode, DbError> {
    sqlx::query("INSERT INTO items (name) VALUES ('x')")
        .execute(&mut **tx)
        .await?;
    Ok(StatusCode::CREATED)
}

#[handler]
async fn sqlite_count(read: &mut sqlite::DbRead) -> Result<String, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM items")
        .fetch_one(&mut **read)
        .await?;
    Ok(n.to_string())
}

#[provider]
fn down_sqlite_db(fixture: &Fixture<sqlite::Db>) -> sqlite::Db {
    fixture.db.clone()
}

chain! {
    struct SqliteApp;
    singletons { fixture: Fixture<sqlite::Db>, db: sqlite::Db = down_sqlite_db }
    request { kiln::db::sqlite::tx, kiln::db::sqlite::read }
    routes {
        GET "/health" => health,
        POST "/items" => sqlite_create,
        GET "/items" => sqlite_count,
    }
}

async fn sqlite_app() -> TestClient<SqliteApp> {
    let fixture = sqlite_db("down", |b| {
        b.acquire_timeout(ACQUIRE)
            .busy_timeout(Duration::from_millis(200))
    })
    .await
    .unwrap();
    TestClient::new(SqliteApp::new(SqliteAppSingletons { fixture }))
}

fn assert_unavailable(res: &kiln::TestResponse) {
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        res.text()
    );
    assert_eq!(res.header("retry-after"), Some("1"));
    let body: serde_json::Value = res.json();
    assert_eq!(body["code"], "db_unavailable");
}

/// Another process holds SQLite's write lock past the busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_elsewhere_is_503_and_recovers() {
    let client = sqlite_app().await;
    assert_eq!(
        client.post("/items").send().await.status(),
        StatusCode::CREATED
    );

    let path = client
        .app()
        .fixture()
        .dir
        .as_ref()
        .unwrap()
        .path()
        .join("test.db");
    let mut other: sqlx::SqliteConnection = <sqlx::SqliteConnection as sqlx::Connection>::connect(
        &format!("sqlite://{}", path.display()),
    )
    .await
    .unwrap();
    sqlx::raw_sql("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();

    assert_unavailable(&no_hang("a write while locked", client.post("/items").send()).await);
    // What does not need the writer keeps serving: other routes, and WAL reads.
    assert_eq!(client.get("/health").send().await.text(), "ok");
    assert_eq!(client.get("/items").send().await.text(), "1");

    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(
        client.post("/items").send().await.status(),
        StatusCode::CREATED
    );
    assert_eq!(client.get("/items").send().await.text(), "2");
}

/// Every writer connection is taken (a slow request holds the one SQLite has).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_pool_is_503_within_the_acquire_timeout() {
    let client = sqlite_app().await;
    let held = client.app().db().begin().await.unwrap();
    assert_unavailable(
        &no_hang(
            "a write with the writer taken",
            client.post("/items").send(),
        )
        .await,
    );
    assert_eq!(client.get("/health").send().await.text(), "ok");
    held.rollback().await.unwrap();
    assert_eq!(
        client.post("/items").send().await.status(),
        StatusCode::CREATED
    );
}

/// A TCP proxy in front of the Postgres server, to take it away and bring it
/// back without touching the server: `down` refuses connections and cuts the
/// open ones, `blackhole` accepts them and never answers.
struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            target,
            accept: None,
            conns: Arc::default(),
        };
        proxy.serve(listener, false);
        proxy
    }

    fn serve(&mut self, listener: TcpListener, blackhole: bool) {
        let (target, conns) = (self.target, self.conns.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if blackhole {
                        // Hold the socket open and say nothing.
                        std::future::pending::<()>().await;
                    }
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns.lock().unwrap().push(conn);
            }
        }));
    }

    /// Refuses new connections and cuts the open ones.
    fn down(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// Listens again on the same port.
    async fn up(&mut self, blackhole: bool) {
        self.down();
        // The aborted accept task drops its listener asynchronously; retry the bind.
        for _ in 0..100 {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            if socket.bind(self.addr).is_ok() {
                self.serve(socket.listen(128).unwrap(), blackhole);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not listen on {} again", self.addr);
    }
}

#[handler]
async fn postgres_create(tx: &mut postgres::Tx) -> Result<StatusCode, DbError> {
    sqlx::query("INSERT INTO items (name) VALUES ('x')")
        .execute(&mut **tx)
        .await?;
    Ok(StatusCode::CREATED)
}

chain! {
    struct PgApp;
    singletons { db: postgres::Db }
    request { kiln::db::postgres::tx }
    routes {
        GET "/health" => health,
        POST "/items" => postgres_create,
    }
}

/// `postgres://user@host:port/db` with `host:port` replaced.
fn via(url: &str, addr: SocketAddr) -> (String, SocketAddr) {
    let (scheme_user, rest) = url
        .split_once('@')
        .expect("a URL of the form postgres://user@host:port/db");
    let (host_port, db) = rest.split_once('/').unwrap();
    let target = std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .unwrap()
        .next()
        .unwrap();
    (format!("{scheme_user}@{addr}/{db}"), target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_503_and_recovers() {
    let Some((_, url)) = postgres_fresh("postgres_down_is_503_and_recovers").await else {
        return;
    };
    let (_, target) = via(&url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(target).await;
    let (proxied, _) = via(&url, proxy.addr);
    let db = postgres::Db::builder(&proxied)
        .max_connections(2)
        .acquire_timeout(ACQUIRE)
        .migrations(&MIGRATOR)
        .connect()
        .await
        .unwrap();
    let client = TestClient::new(PgApp::new(PgAppSingletons { db }));
    assert_eq!(
        client.post("/items").send().await.status(),
        StatusCode::CREATED
    );

    // Refused: the pool's connection is cut and no new one can open.
    proxy.down();
    for _ in 0..2 {
        assert_unavailable(
            &no_hang("a write with Postgres down", client.post("/items").send()).await,
        );
    }
    assert_eq!(client.get("/health").send().await.text(), "ok");
    // A readiness check says so, within the acquire timeout.
    let down = no_hang("a ping with Postgres down", client.app().db.ping()).await;
    assert_eq!(
        down.unwrap_err().kind(),
        kiln::db::DbErrorKind::Unavailable,
        "readiness fails"
    );

    // Accepted but silent: connecting hangs, the acquire timeout does not.
    proxy.up(true).await;
    assert_unavailable(
        &no_hang("a write with Postgres silent", client.post("/items").send()).await,
    );

    proxy.up(false).await;
    assert_eq!(
        client.post("/items").send().await.status(),
        StatusCode::CREATED
    );
    client.app().db.ping().await.unwrap();
    proxy.down();
}
