//! The kiln peer of the `db` and `tx` scenarios: TFB's test types as a
//! `chain!` app on `kiln::db` — `DbRead` (one pooled connection per
//! request, returned by its finish step) for reads, `Tx` for `/updates`
//! and `/tx` (committed by its finish step) — once per backend.

use kiln::prelude::*;

use super::super::fixtures::{self, HELLO, Message, TEXT};
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb::{self, DbKind, WorldCache};

/// Stamps `Server: kiln` on every response (TFB requires the header).
#[middleware(priority = 0, post_route)]
fn server_header(res: &mut Response) {
    res.headers_mut().insert(
        kiln::http::header::SERVER,
        kiln::http::HeaderValue::from_static("kiln"),
    );
}

#[handler]
fn json() -> Json<Message> {
    Json(fixtures::MESSAGE)
}

#[handler]
fn plaintext() -> Response {
    ([(kiln::http::header::CONTENT_TYPE, TEXT)], HELLO).into_response()
}

#[handler]
fn cached(req: &Request, cache: &WorldCache) -> Json<Vec<tfb::World>> {
    Json(cache.random(tfb::count(req.uri().query(), "count")))
}

fn html(page: String) -> Response {
    ([(kiln::http::header::CONTENT_TYPE, tfb::HTML)], page).into_response()
}

/// The app of one backend: `$db` is `postgres` or `sqlite`, `$sql` the
/// matching module of [`tfb::sql`].
macro_rules! db_app {
    ($module:ident, $db:ident, $sql:ident, $app:ident, $tx_app:ident) => {
        mod $module {
            use kiln::db::DbError;
            use kiln::db::$db::{DbRead, Tx};
            use kiln::prelude::*;

            use super::super::super::tfb::{self, World, sql::$sql};
            use super::{cached, html, json, plaintext, server_header};

            #[handler]
            async fn single(read: &mut DbRead) -> Result<Json<World>, DbError> {
                Ok(Json($sql::world(&mut *read, tfb::random_id()).await?))
            }

            #[handler]
            async fn queries(
                read: &mut DbRead,
                req: &Request,
            ) -> Result<Json<Vec<World>>, DbError> {
                let n = tfb::count(req.uri().query(), "queries");
                Ok(Json($sql::worlds(&mut *read, n).await?))
            }

            #[handler]
            async fn fortunes(read: &mut DbRead) -> Result<Response, DbError> {
                let mut all = $sql::fortunes(&mut *read).await?;
                tfb::finish_fortunes(&mut all);
                Ok(html(tfb::fortunes_page(&all)))
            }

            #[handler]
            async fn updates(tx: &mut Tx, req: &Request) -> Result<Json<Vec<World>>, DbError> {
                let n = tfb::count(req.uri().query(), "queries");
                let mut worlds = $sql::worlds(&mut *tx, n).await?;
                let sorted = tfb::new_numbers(&mut worlds);
                $sql::update(&mut *tx, &sorted).await?;
                Ok(Json(worlds))
            }

            #[handler]
            async fn select_1(tx: &mut Tx) -> Result<String, DbError> {
                Ok($sql::select_1(&mut *tx).await?.to_string())
            }

            chain! {
                /// TFB's test types on this backend.
                pub(super) struct $app;
                singletons { db: kiln::db::$db::Db, cache: tfb::WorldCache }
                request { kiln::db::$db::read, kiln::db::$db::tx }
                middleware { server_header }
                routes {
                    GET "/json" => json,
                    GET "/plaintext" => plaintext,
                    GET "/db" => single,
                    GET "/queries" => queries,
                    GET "/fortunes" => fortunes,
                    GET "/updates" => updates,
                    GET "/cached-queries" => cached,
                }
            }

            chain! {
                /// `BEGIN; SELECT 1; COMMIT` through `Tx`.
                pub(super) struct $tx_app;
                singletons { db: kiln::db::$db::Db }
                request { kiln::db::$db::tx }
                middleware { server_header }
                routes { GET "/tx" => select_1 }
            }
        }
    };
}

db_app!(pg, postgres, pg, PgApp, PgTx);
db_app!(lite, sqlite, lite, LiteApp, LiteTx);

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Serves `db` or `tx` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let port = args.port;
    let scenario = args.scenario;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?;
        let served = match args.db {
            DbKind::Postgres => {
                let db = kiln::db::postgres::Db::builder(&url)
                    .max_connections(tfb::pool_size())
                    .connect()
                    .await
                    .map_err(io)?;
                if scenario == Scenario::Tx {
                    tokio::spawn(
                        kiln::serve(pg::PgTx::new(pg::PgTxSingletons { db })).listen(listener),
                    )
                } else {
                    let mut read = db.read().await.map_err(io)?;
                    let cache =
                        WorldCache::new(tfb::sql::pg::all_worlds(&mut read).await.map_err(io)?);
                    drop(read);
                    tokio::spawn(
                        kiln::serve(pg::PgApp::new(pg::PgAppSingletons { db, cache }))
                            .listen(listener),
                    )
                }
            }
            DbKind::Sqlite => {
                let db = kiln::db::sqlite::Db::builder(&url)
                    .max_connections(tfb::SQLITE_READERS)
                    .connect()
                    .await
                    .map_err(io)?;
                if scenario == Scenario::Tx {
                    tokio::spawn(
                        kiln::serve(lite::LiteTx::new(lite::LiteTxSingletons { db }))
                            .listen(listener),
                    )
                } else {
                    let mut read = db.read().await.map_err(io)?;
                    let cache =
                        WorldCache::new(tfb::sql::lite::all_worlds(&mut read).await.map_err(io)?);
                    drop(read);
                    tokio::spawn(
                        kiln::serve(lite::LiteApp::new(lite::LiteAppSingletons { db, cache }))
                            .listen(listener),
                    )
                }
            }
        };
        // Spawned so that all the work runs on the worker threads.
        served.await.map_err(io)?
    })?;
    Ok(())
}
