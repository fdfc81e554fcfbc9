//! The cost of kiln's `Tx` machinery: a request that begins a SQLite write
//! transaction, runs `SELECT 1` and commits, through kiln's `Tx` (provider +
//! finish step), vs the same written by hand with sqlx in a kiln handler and
//! in axum. In process (kiln: `app.handle`; axum: `Router::oneshot`), one
//! SQLite file in WAL with kiln's settings, the same writer pool for all
//! three, on a tokio current-thread runtime.
//!
//! Run: `cargo bench -p kiln-benches --bench db -- --warm-up-time 1 --measurement-time 3`.

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

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("kiln-bench-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let db = rt.block_on(Db::connect(&url)).unwrap();
    let pool = db.write_pool().clone();
    let app = Measured::new(MeasuredSingletons { db });
    let router = axum::Router::new()
        .route("/", axum::routing::get(axum_handler))
        .with_state(pool);
    let mut conn = kiln::Conn::default();

    let mut g = c.benchmark_group("db_tx");
    for (name, path) in [("kiln_tx", "/tx"), ("kiln_by_hand", "/hand")] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = TestClient::new(()).get(path).build();
                let res = rt.block_on(app.handle(req, &mut conn));
                assert_eq!(res.status(), StatusCode::OK);
                black_box(res)
            });
        });
    }
    g.bench_function("axum_by_hand", |b| {
        b.iter(|| {
            let req = axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap();
            let res = rt.block_on(router.clone().oneshot(req)).unwrap();
            assert_eq!(res.status(), axum::http::StatusCode::OK);
            black_box(res)
        });
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
