//! The actix-web server of the `async` scenario: the shared [`Calls`] client
//! in `web::Data` (one per worker: hyper's pool spawns its connection tasks
//! on the runtime that made them, and each actix worker has its own), a
//! `502` when a call fails, and `/blocking` through `web::block` (actix's
//! `spawn_blocking`).

use actix_web::{App, HttpResponse, HttpServer, web};

use super::super::server::{ServeError, ServerArgs};
use super::{Calls, blocking_work};

fn reply(result: Result<String, String>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok()
            .content_type(super::super::fixtures::TEXT)
            .body(body),
        Err(why) => {
            tracing::warn!(target: "bench::upstream", "upstream call failed: {why}");
            HttpResponse::BadGateway().finish()
        }
    }
}

async fn concurrent(calls: web::Data<Calls>) -> HttpResponse {
    reply(calls.concurrent().await)
}

async fn sequential(calls: web::Data<Calls>) -> HttpResponse {
    reply(calls.sequential().await)
}

async fn blocking() -> HttpResponse {
    reply(web::block(blocking_work).await.map_err(|e| e.to_string()))
}

/// Serves `async` until killed.
///
/// # Errors
/// When the upstream's address is not set, or binding fails.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let addr = std::env::var(super::UPSTREAM_ENV)
        .map_err(|_| std::io::Error::other(format!("{} is not set", super::UPSTREAM_ENV)))?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(Calls::new(&addr)))
            .route("/concurrent", web::get().to(concurrent))
            .route("/sequential", web::get().to(sequential))
            .route("/blocking", web::get().to(blocking))
    })
    .workers(args.workers)
    .bind(("127.0.0.1", args.port))?
    .run();
    actix_web::rt::System::new().block_on(server)?;
    Ok(())
}
