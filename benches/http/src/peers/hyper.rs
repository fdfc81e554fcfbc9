//! The bare hyper 1.x peer: the physical limit. One `service_fn` that
//! matches the path by hand, HTTP/1.1 connections served by
//! `hyper::server::conn::http1` on tokio. `basic` only. With `--h2c`,
//! connections go to hyper-util's `auto` builder instead, which reads the
//! first bytes and serves HTTP/1.1 or cleartext HTTP/2 (prior knowledge).

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

use super::super::fixtures::{self, HELLO, JSON, Search, TEXT, User};
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};

/// Serves `basic` until killed.
///
/// # Errors
/// [`ServeError::Unsupported`] for every other scenario.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    if matches!(args.scenario, Scenario::Db | Scenario::Tx) {
        return super::hyper_pg::serve(args);
    }
    if args.scenario != Scenario::Basic {
        return Err(ServeError::Unsupported(format!(
            "bare hyper implements the basic scenario only, not {}",
            args.scenario
        )));
    }
    let port = args.port;
    let h2c = args.h2c;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?;
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                if h2c {
                    tokio::spawn(async move {
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service_fn(handle))
                            .await;
                    });
                    continue;
                }
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(handle))
                        .await;
                });
            }
        })
        .await
        .map_err(std::io::Error::other)
    })?;
    Ok(())
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

fn json<T: serde::Serialize>(value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(body) => respond(StatusCode::OK, JSON, body.into()),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = status;
    res
}

#[allow(clippy::unused_async)] // `service_fn` wants a future
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let path = req.uri().path();
    Ok(match path {
        "/" => respond(StatusCode::OK, TEXT, Bytes::from_static(HELLO.as_bytes())),
        "/json" => json(&fixtures::MESSAGE),
        "/search" => match serde_urlencoded::from_str::<Search>(req.uri().query().unwrap_or("")) {
            Ok(q) => json(&q),
            Err(_) => status(StatusCode::BAD_REQUEST),
        },
        _ => match path.strip_prefix("/users/").map(str::parse::<u64>) {
            Some(Ok(id)) => json(&User::new(id)),
            Some(Err(_)) => status(StatusCode::BAD_REQUEST),
            None => status(StatusCode::NOT_FOUND),
        },
    })
}
