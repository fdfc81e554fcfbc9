//! The actix-web server of the `validation` scenario, validation by hand:
//! `web::Json<Order>`, then `order.validate()`, then a 422 of
//! `errors_body` when it fails.

use actix_web::{App, HttpResponse, HttpServer, web};
use garde::Validate;

use super::super::server::{ServeError, ServerArgs};
use super::{Order, PATH, errors_body};

async fn create(order: web::Json<Order>) -> HttpResponse {
    match order.validate() {
        Ok(()) => HttpResponse::Ok().json(order.receipt()),
        Err(report) => HttpResponse::UnprocessableEntity().json(errors_body(&report)),
    }
}

/// Serves `validation` until killed.
///
/// # Errors
/// When binding fails.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let server = HttpServer::new(|| App::new().route(PATH, web::post().to(create)))
        .workers(args.workers)
        .bind(("127.0.0.1", args.port))?
        .run();
    actix_web::rt::System::new().block_on(server)?;
    Ok(())
}
