//! The axum + sqlx peer of the `db` and `tx` scenarios, written the way
//! axum users write it: the sqlx pool in `State`, a connection acquired per
//! request, `pool.begin()` / `commit()` by hand for writes, an error type
//! that turns `sqlx::Error` into a 500, tower-http's `SetResponseHeader`
//! for `Server`.

use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_TYPE, SERVER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;

use super::super::fixtures::{self, HELLO, TEXT};
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb::sql::{self, pools};
use super::super::tfb::{self, DbKind, World, WorldCache};

/// A failed query: a 500 (details to stderr only).
struct DbFail(sqlx::Error);

impl From<sqlx::Error> for DbFail {
    fn from(e: sqlx::Error) -> Self {
        DbFail(e)
    }
}

impl IntoResponse for DbFail {
    fn into_response(self) -> Response {
        eprintln!("server_axum: database error: {}", self.0);
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

async fn json() -> Json<fixtures::Message> {
    Json(fixtures::MESSAGE)
}

async fn plaintext() -> Response {
    ([(CONTENT_TYPE, TEXT)], HELLO).into_response()
}

fn html(page: String) -> Response {
    ([(CONTENT_TYPE, tfb::HTML)], page).into_response()
}

/// Postgres handlers.
mod pg {
    use super::{DbFail, Json, RawQuery, Response, State, World, html, sql, tfb};
    use sqlx::PgPool;

    pub(super) async fn single(State(pool): State<PgPool>) -> Result<Json<World>, DbFail> {
        let mut conn = pool.acquire().await?;
        Ok(Json(sql::pg::world(&mut conn, tfb::random_id()).await?))
    }

    pub(super) async fn queries(
        State(pool): State<PgPool>,
        RawQuery(q): RawQuery,
    ) -> Result<Json<Vec<World>>, DbFail> {
        let n = tfb::count(q.as_deref(), "queries");
        let mut conn = pool.acquire().await?;
        Ok(Json(sql::pg::worlds(&mut conn, n).await?))
    }

    pub(super) async fn fortunes(State(pool): State<PgPool>) -> Result<Response, DbFail> {
        let mut conn = pool.acquire().await?;
        let mut all = sql::pg::fortunes(&mut conn).await?;
        tfb::finish_fortunes(&mut all);
        Ok(html(tfb::fortunes_page(&all)))
    }

    pub(super) async fn updates(
        State(pool): State<PgPool>,
        RawQuery(q): RawQuery,
    ) -> Result<Json<Vec<World>>, DbFail> {
        let n = tfb::count(q.as_deref(), "queries");
        let mut tx = pool.begin().await?;
        let mut worlds = sql::pg::worlds(&mut tx, n).await?;
        let sorted = tfb::new_numbers(&mut worlds);
        sql::pg::update(&mut tx, &sorted).await?;
        tx.commit().await?;
        Ok(Json(worlds))
    }

    pub(super) async fn select_1(State(pool): State<PgPool>) -> Result<String, DbFail> {
        let mut tx = pool.begin().await?;
        let one = sql::pg::select_1(&mut tx).await?;
        tx.commit().await?;
        Ok(one.to_string())
    }
}

/// SQLite handlers.
mod lite {
    use super::{DbFail, Json, RawQuery, Response, State, World, html, pools, sql, tfb};

    pub(super) async fn single(State(db): State<pools::Lite>) -> Result<Json<World>, DbFail> {
        let mut conn = db.read.acquire().await?;
        Ok(Json(sql::lite::world(&mut conn, tfb::random_id()).await?))
    }

    pub(super) async fn queries(
        State(db): State<pools::Lite>,
        RawQuery(q): RawQuery,
    ) -> Result<Json<Vec<World>>, DbFail> {
        let n = tfb::count(q.as_deref(), "queries");
        let mut conn = db.read.acquire().await?;
        Ok(Json(sql::lite::worlds(&mut conn, n).await?))
    }

    pub(super) async fn fortunes(State(db): State<pools::Lite>) -> Result<Response, DbFail> {
        let mut conn = db.read.acquire().await?;
        let mut all = sql::lite::fortunes(&mut conn).await?;
        tfb::finish_fortunes(&mut all);
        Ok(html(tfb::fortunes_page(&all)))
    }

    pub(super) async fn updates(
        State(db): State<pools::Lite>,
        RawQuery(q): RawQuery,
    ) -> Result<Json<Vec<World>>, DbFail> {
        let n = tfb::count(q.as_deref(), "queries");
        let mut tx = db.write.begin_with("BEGIN IMMEDIATE").await?;
        let mut worlds = sql::lite::worlds(&mut tx, n).await?;
        let sorted = tfb::new_numbers(&mut worlds);
        sql::lite::update(&mut tx, &sorted).await?;
        tx.commit().await?;
        Ok(Json(worlds))
    }

    pub(super) async fn select_1(State(db): State<pools::Lite>) -> Result<String, DbFail> {
        let mut tx = db.write.begin_with("BEGIN IMMEDIATE").await?;
        let one = sql::lite::select_1(&mut tx).await?;
        tx.commit().await?;
        Ok(one.to_string())
    }
}

async fn cached(State(cache): State<WorldCache>, RawQuery(q): RawQuery) -> Json<Vec<World>> {
    Json(cache.random(tfb::count(q.as_deref(), "count")))
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The routes without state, for any state type.
fn common<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/json", get(json))
        .route("/plaintext", get(plaintext))
}

/// Builds the router of `scenario` on `db` (connecting and filling the cache).
async fn router(scenario: Scenario, db: DbKind, url: &str) -> std::io::Result<Router> {
    let server = SetResponseHeaderLayer::overriding(SERVER, HeaderValue::from_static("axum"));
    let router = match (db, scenario) {
        (DbKind::Postgres, Scenario::Tx) => {
            let pool = pools::pg(url).await.map_err(io)?;
            Router::new()
                .route("/tx", get(pg::select_1))
                .with_state(pool)
        }
        (DbKind::Sqlite, Scenario::Tx) => {
            let db = pools::lite(url).await.map_err(io)?;
            Router::new()
                .route("/tx", get(lite::select_1))
                .with_state(db)
        }
        (DbKind::Postgres, _) => {
            let pool = pools::pg(url).await.map_err(io)?;
            let mut conn = pool.acquire().await.map_err(io)?;
            let cache = WorldCache::new(sql::pg::all_worlds(&mut conn).await.map_err(io)?);
            drop(conn);
            common()
                .route("/db", get(pg::single))
                .route("/queries", get(pg::queries))
                .route("/fortunes", get(pg::fortunes))
                .route("/updates", get(pg::updates))
                .with_state(pool)
                .merge(
                    Router::new()
                        .route("/cached-queries", get(cached))
                        .with_state(cache),
                )
        }
        (DbKind::Sqlite, _) => {
            let db = pools::lite(url).await.map_err(io)?;
            let mut conn = db.read.acquire().await.map_err(io)?;
            let cache = WorldCache::new(sql::lite::all_worlds(&mut conn).await.map_err(io)?);
            drop(conn);
            common()
                .route("/db", get(lite::single))
                .route("/queries", get(lite::queries))
                .route("/fortunes", get(lite::fortunes))
                .route("/updates", get(lite::updates))
                .with_state(db)
                .merge(
                    Router::new()
                        .route("/cached-queries", get(cached))
                        .with_state(cache),
                )
        }
    };
    Ok(router.layer(server))
}

/// Serves `db` or `tx` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let (port, scenario, db) = (args.port, args.scenario, args.db);
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let app = router(scenario, db, &url).await?;
        let listener = bind(port).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(async move { axum::serve(listener, app).await })
            .await
            .map_err(io)?
    })?;
    Ok(())
}
