//! The hand-tuned limit of the `db` scenario: bare hyper 1.x and
//! tokio-postgres, Postgres only. [`tfb::pool_size`] connections opened at
//! startup, each with its statements prepared once; a request takes the
//! next connection round-robin and *pipelines* its queries on it (the
//! `/queries` and `/updates` reads are all sent before the first answer is
//! read; other requests share the connection meanwhile). `/updates` writes
//! its batch in one statement without `BEGIN`/`COMMIT` (an `UPDATE` is
//! atomic by itself, and a shared, pipelined connection cannot hold a
//! transaction): the limit, not the same work as the sqlx servers' transaction.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures_util::future::try_join_all;
use http::header::{CONTENT_TYPE, HeaderValue, SERVER};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

use super::super::fixtures::{HELLO, JSON, MESSAGE, TEXT};
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb::sql::text;
use super::super::tfb::{self, DbKind, Fortune, World, WorldCache};

/// One connection and its prepared statements.
struct Conn {
    client: Client,
    world: Statement,
    fortunes: Statement,
    update: Statement,
}

struct State {
    conns: Vec<Conn>,
    next: AtomicUsize,
    cache: WorldCache,
}

impl State {
    fn conn(&self) -> &Conn {
        &self.conns[self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len()]
    }
}

async fn connect(url: &str) -> Result<Conn, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("server_hyper: connection: {e}");
        }
    });
    let world = client.prepare(text::WORLD).await?;
    let fortunes = client.prepare(text::FORTUNES).await?;
    let update = client.prepare(text::UPDATE_BATCH).await?;
    Ok(Conn {
        client,
        world,
        fortunes,
        update,
    })
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Serves `db` on Postgres until killed.
///
/// # Errors
/// [`ServeError::Unsupported`] for SQLite and for `tx`; I/O errors when
/// Postgres or the port cannot be reached.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    if args.db != DbKind::Postgres || args.scenario != Scenario::Db {
        return Err(ServeError::Unsupported(
            "the hyper + tokio-postgres limit serves `db` on Postgres only".into(),
        ));
    }
    let url = tfb::db_url()?;
    let port = args.port;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let mut conns = Vec::new();
        for _ in 0..tfb::pool_size() {
            conns.push(connect(&url).await.map_err(io)?);
        }
        let rows = conns[0]
            .client
            .query("SELECT id, randomnumber FROM world", &[])
            .await
            .map_err(io)?;
        let cache = WorldCache::new(rows.iter().map(|r| World {
            id: r.get(0),
            random_number: r.get(1),
        }));
        let state = Arc::new(State {
            conns,
            next: AtomicUsize::new(0),
            cache,
        });
        let listener = bind(port).await?;
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
        .await
        .map_err(io)
    })?;
    Ok(())
}

fn respond(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    let h = res.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("hyper"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

fn json<T: serde::Serialize>(value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(body) => respond(JSON, body.into()),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(SERVER, HeaderValue::from_static("hyper"));
    res
}

/// `n` random rows, pipelined on one connection.
async fn worlds(c: &Conn, n: usize) -> Result<Vec<World>, tokio_postgres::Error> {
    let ids: Vec<i32> = (0..n).map(|_| tfb::random_id()).collect();
    let params: Vec<[&(dyn ToSql + Sync); 1]> = ids.iter().map(|id| [id as _]).collect();
    let rows = try_join_all(params.iter().map(|p| c.client.query_one(&c.world, p))).await?;
    Ok(rows
        .iter()
        .map(|r| World {
            id: r.get(0),
            random_number: r.get(1),
        })
        .collect())
}

async fn route(
    state: &State,
    req: &Request<Incoming>,
) -> Result<Response<Full<Bytes>>, tokio_postgres::Error> {
    let query = req.uri().query();
    Ok(match req.uri().path() {
        "/json" => json(&MESSAGE),
        "/plaintext" => respond(TEXT, Bytes::from_static(HELLO.as_bytes())),
        "/db" => {
            let c = state.conn();
            let row = c.client.query_one(&c.world, &[&tfb::random_id()]).await?;
            json(&World {
                id: row.get(0),
                random_number: row.get(1),
            })
        }
        "/queries" => json(&worlds(state.conn(), tfb::count(query, "queries")).await?),
        "/fortunes" => {
            let c = state.conn();
            let rows = c.client.query(&c.fortunes, &[]).await?;
            let mut all: Vec<Fortune> = rows
                .iter()
                .map(|r| Fortune {
                    id: r.get(0),
                    message: r.get(1),
                })
                .collect();
            tfb::finish_fortunes(&mut all);
            respond(tfb::HTML, tfb::fortunes_page(&all).into())
        }
        "/updates" => {
            let c = state.conn();
            let mut ws = worlds(c, tfb::count(query, "queries")).await?;
            let sorted = tfb::new_numbers(&mut ws);
            let ids: Vec<i32> = sorted.iter().map(|w| w.id).collect();
            let numbers: Vec<i32> = sorted.iter().map(|w| w.random_number).collect();
            c.client.execute(&c.update, &[&ids, &numbers]).await?;
            json(&ws)
        }
        "/cached-queries" => json(&state.cache.random(tfb::count(query, "count"))),
        _ => status(StatusCode::NOT_FOUND),
    })
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match route(&state, &req).await {
        Ok(res) => res,
        Err(e) => {
            eprintln!("server_hyper: database error: {e}");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    })
}
