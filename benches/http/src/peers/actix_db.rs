//! The actix-web + sqlx peer of the `db` and `tx` scenarios, written the
//! way actix users write it: the sqlx pool in `web::Data`, a connection
//! acquired per request, `begin()` / `commit()` by hand for writes,
//! `DefaultHeaders` for `Server`, sqlx errors mapped to a 500.

use actix_web::error::ErrorInternalServerError;
use actix_web::http::header::SERVER;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, Error, HttpRequest, HttpResponse, HttpServer, web};

use super::super::fixtures::{self, HELLO, TEXT};
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs};
use super::super::tfb::sql::{self, pools};
use super::super::tfb::{self, DbKind, WorldCache};

#[allow(clippy::needless_pass_by_value)] // `map_err` hands the error over by value
fn fail(e: sqlx::Error) -> Error {
    eprintln!("server_actix: database error: {e}");
    ErrorInternalServerError("database error")
}

async fn json() -> HttpResponse {
    HttpResponse::Ok().json(fixtures::MESSAGE)
}

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT).body(HELLO)
}

fn html(page: String) -> HttpResponse {
    HttpResponse::Ok().content_type(tfb::HTML).body(page)
}

async fn cached(cache: web::Data<WorldCache>, req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(cache.random(tfb::count(Some(req.query_string()), "count")))
}

/// Postgres handlers.
mod pg {
    use super::{Error, HttpRequest, HttpResponse, fail, html, sql, tfb, web};
    use sqlx::PgPool;

    pub(super) async fn single(pool: web::Data<PgPool>) -> Result<HttpResponse, Error> {
        let mut conn = pool.acquire().await.map_err(fail)?;
        let w = sql::pg::world(&mut conn, tfb::random_id())
            .await
            .map_err(fail)?;
        Ok(HttpResponse::Ok().json(w))
    }

    pub(super) async fn queries(
        pool: web::Data<PgPool>,
        req: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let n = tfb::count(Some(req.query_string()), "queries");
        let mut conn = pool.acquire().await.map_err(fail)?;
        let ws = sql::pg::worlds(&mut conn, n).await.map_err(fail)?;
        Ok(HttpResponse::Ok().json(ws))
    }

    pub(super) async fn fortunes(pool: web::Data<PgPool>) -> Result<HttpResponse, Error> {
        let mut conn = pool.acquire().await.map_err(fail)?;
        let mut all = sql::pg::fortunes(&mut conn).await.map_err(fail)?;
        tfb::finish_fortunes(&mut all);
        Ok(html(tfb::fortunes_page(&all)))
    }

    pub(super) async fn updates(
        pool: web::Data<PgPool>,
        req: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let n = tfb::count(Some(req.query_string()), "queries");
        let mut tx = pool.begin().await.map_err(fail)?;
        let mut worlds = sql::pg::worlds(&mut tx, n).await.map_err(fail)?;
        let sorted = tfb::new_numbers(&mut worlds);
        sql::pg::update(&mut tx, &sorted).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(HttpResponse::Ok().json(worlds))
    }

    pub(super) async fn select_1(pool: web::Data<PgPool>) -> Result<HttpResponse, Error> {
        let mut tx = pool.begin().await.map_err(fail)?;
        let one = sql::pg::select_1(&mut tx).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(HttpResponse::Ok()
            .content_type(super::TEXT)
            .body(one.to_string()))
    }
}

/// SQLite handlers.
mod lite {
    use super::{Error, HttpRequest, HttpResponse, fail, html, pools, sql, tfb, web};

    pub(super) async fn single(db: web::Data<pools::Lite>) -> Result<HttpResponse, Error> {
        let mut conn = db.read.acquire().await.map_err(fail)?;
        let w = sql::lite::world(&mut conn, tfb::random_id())
            .await
            .map_err(fail)?;
        Ok(HttpResponse::Ok().json(w))
    }

    pub(super) async fn queries(
        db: web::Data<pools::Lite>,
        req: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let n = tfb::count(Some(req.query_string()), "queries");
        let mut conn = db.read.acquire().await.map_err(fail)?;
        let ws = sql::lite::worlds(&mut conn, n).await.map_err(fail)?;
        Ok(HttpResponse::Ok().json(ws))
    }

    pub(super) async fn fortunes(db: web::Data<pools::Lite>) -> Result<HttpResponse, Error> {
        let mut conn = db.read.acquire().await.map_err(fail)?;
        let mut all = sql::lite::fortunes(&mut conn).await.map_err(fail)?;
        tfb::finish_fortunes(&mut all);
        Ok(html(tfb::fortunes_page(&all)))
    }

    pub(super) async fn updates(
        db: web::Data<pools::Lite>,
        req: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let n = tfb::count(Some(req.query_string()), "queries");
        let mut tx = db.write.begin_with("BEGIN IMMEDIATE").await.map_err(fail)?;
        let mut worlds = sql::lite::worlds(&mut tx, n).await.map_err(fail)?;
        let sorted = tfb::new_numbers(&mut worlds);
        sql::lite::update(&mut tx, &sorted).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(HttpResponse::Ok().json(worlds))
    }

    pub(super) async fn select_1(db: web::Data<pools::Lite>) -> Result<HttpResponse, Error> {
        let mut tx = db.write.begin_with("BEGIN IMMEDIATE").await.map_err(fail)?;
        let one = sql::lite::select_1(&mut tx).await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(HttpResponse::Ok()
            .content_type(super::TEXT)
            .body(one.to_string()))
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Serves `db` or `tx` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let addr = ("127.0.0.1", args.port);
    let (workers, scenario, db) = (args.workers, args.scenario, args.db);
    let server = || DefaultHeaders::new().add((SERVER, "actix"));
    actix_web::rt::System::new().block_on(async move {
        match (db, scenario) {
            (DbKind::Postgres, Scenario::Tx) => {
                let pool = web::Data::new(pools::pg(&url).await.map_err(io)?);
                HttpServer::new(move || {
                    App::new()
                        .app_data(pool.clone())
                        .wrap(server())
                        .route("/tx", web::get().to(pg::select_1))
                })
                .workers(workers)
                .bind(addr)?
                .run()
                .await
            }
            (DbKind::Sqlite, Scenario::Tx) => {
                let db = web::Data::new(pools::lite(&url).await.map_err(io)?);
                HttpServer::new(move || {
                    App::new()
                        .app_data(db.clone())
                        .wrap(server())
                        .route("/tx", web::get().to(lite::select_1))
                })
                .workers(workers)
                .bind(addr)?
                .run()
                .await
            }
            (DbKind::Postgres, _) => {
                let pool = pools::pg(&url).await.map_err(io)?;
                let mut conn = pool.acquire().await.map_err(io)?;
                let cache = web::Data::new(WorldCache::new(
                    sql::pg::all_worlds(&mut conn).await.map_err(io)?,
                ));
                drop(conn);
                let pool = web::Data::new(pool);
                HttpServer::new(move || {
                    App::new()
                        .app_data(pool.clone())
                        .app_data(cache.clone())
                        .wrap(server())
                        .route("/json", web::get().to(json))
                        .route("/plaintext", web::get().to(plaintext))
                        .route("/db", web::get().to(pg::single))
                        .route("/queries", web::get().to(pg::queries))
                        .route("/fortunes", web::get().to(pg::fortunes))
                        .route("/updates", web::get().to(pg::updates))
                        .route("/cached-queries", web::get().to(cached))
                })
                .workers(workers)
                .bind(addr)?
                .run()
                .await
            }
            (DbKind::Sqlite, _) => {
                let db = pools::lite(&url).await.map_err(io)?;
                let mut conn = db.read.acquire().await.map_err(io)?;
                let cache = web::Data::new(WorldCache::new(
                    sql::lite::all_worlds(&mut conn).await.map_err(io)?,
                ));
                drop(conn);
                let db = web::Data::new(db);
                HttpServer::new(move || {
                    App::new()
                        .app_data(db.clone())
                        .app_data(cache.clone())
                        .wrap(server())
                        .route("/json", web::get().to(json))
                        .route("/plaintext", web::get().to(plaintext))
                        .route("/db", web::get().to(lite::single))
                        .route("/queries", web::get().to(lite::queries))
                        .route("/fortunes", web::get().to(lite::fortunes))
                        .route("/updates", web::get().to(lite::updates))
                        .route("/cached-queries", web::get().to(cached))
                })
                .workers(workers)
                .bind(addr)?
                .run()
                .await
            }
        }
    })?;
    Ok(())
}
