//! The cost of kiln's `Tx` machinery: a request that begins a SQLite write
//! transaction, runs `SELECT 1` and commits, through kiln's `Tx` (provider +
//! finish step), vs the same written by hand with sqlx in a kiln handler and
//! in axum. In process (kiln: `app.handle`; axum: `Router::oneshot`), one
//! SQLite file in WAL with kiln's settings, the same writer pool for all
//! three, on a tokio current-thread runtime.
//!
//! Run: `cargo bench -p kiln-benches --bench db -- --warm-up-time 1 --measurement-time 3`.
//!
//! Instructions (every thread, SQLite's worker included, so a noisy machine
//! does not matter): `bash benches/callgrind.sh db`, which runs this
//! binary under callgrind with `--instructions <kiln_tx|kiln_by_hand|axum_by_hand> <n>`
//! for two request counts and prints the difference per request.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::Criterion;
use kiln::App as _;
use kiln::db::sqlite::{Db, Tx};
use kiln::db::{DbError, sqlx};
use kiln::prelude::*;
use tower::ServiceExt as _;

#[handler]
async fn with_tx(tx: &mut Tx) -> Result<StatusCode, DbError> {
    sqlx::query("SELECT 1").execute(&mut **tx).await?;
    Ok(StatusCode::OK)
}

#[handler]
async fn by_hand(db: &Db) -> Result<StatusCode, DbError> {
    let mut tx = db.write_pool().begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("SELECT 1").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(StatusCode::OK)
}

chain! {
    struct Measured;
    singletons { db: Db }
    request { kiln::db::sqlite::tx }
    routes { GET "/tx" => with_tx, GET "/hand" => by_hand }
}

async fn axum_handler(
    axum::extract::State(pool): axum::extract::State<sqlx::SqlitePool>,
) -> Result<axum::http::StatusCode, axum::http::StatusCode> {
    let fail = |_| axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(fail)?;
    sqlx::query("SELECT 1")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok(axum::http::StatusCode::OK)
}

/// The three servers on one SQLite file, and the runtime they run on.
struct Setup {
    rt: tokio::runtime::Runtime,
    dir: std::path::PathBuf,
    app: Measured,
    router: axum::Router,
    conn: kiln::Conn,
}

impl Setup {
    fn new() -> Setup {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = std::env::temp_dir().join(format!("kiln-bench-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        let db = rt.block_on(Db::connect(&url)).unwrap();
        let pool = db.write_pool().clone();
        let router = axum::Router::new()
            .route("/", axum::routing::get(axum_handler))
            .with_state(pool);
        Setup {
            rt,
            dir,
            app: Measured::new(MeasuredSingletons { db }),
            router,
            conn: kiln::Conn::default(),
        }
    }

    /// One request of scenario `name`.
    fn one(&mut self, name: &str) {
        if name == "axum_by_hand" {
            let req = axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap();
            let res = self.rt.block_on(self.router.clone().oneshot(req)).unwrap();
            assert_eq!(res.status(), axum::http::StatusCode::OK);
            black_box(res);
            return;
        }
        let path = if name == "kiln_tx" { "/tx" } else { "/hand" };
        let req = TestClient::new(()).get(path).build();
        let res = self.rt.block_on(self.app.handle(req, &mut self.conn));
        assert_eq!(res.status(), StatusCode::OK);
        black_box(res);
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SCENARIOS: [&str; 3] = ["kiln_tx", "kiln_by_hand", "axum_by_hand"];

fn bench(c: &mut Criterion) {
    let mut setup = Setup::new();
    let mut g = c.benchmark_group("db_tx");
    for name in SCENARIOS {
        g.bench_function(name, |b| b.iter(|| setup.one(name)));
    }
    g.finish();
}

criterion::criterion_group!(benches, bench);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--instructions") {
        let name = args[i + 1].as_str();
        assert!(SCENARIOS.contains(&name), "scenarios: {SCENARIOS:?}");
        let n: usize = args[i + 2].parse().unwrap();
        let mut setup = Setup::new();
        for _ in 0..n {
            setup.one(name);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
