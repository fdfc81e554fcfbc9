//! The axum server of the `validation` scenario, validation by hand: axum's
//! `Json<Order>`, then `order.validate()`, then a 422 of
//! `errors_body` when it fails.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use garde::Validate;

use super::{Order, PATH, errors_body};

async fn create(Json(order): Json<Order>) -> Response {
    match order.validate() {
        Ok(()) => Json(order.receipt()).into_response(),
        Err(report) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(errors_body(&report))).into_response()
        }
    }
}

/// The router.
pub fn router() -> Router {
    Router::new().route(PATH, post(create))
}
