//! Admin routes (nested under `/admin`: `require_jwt`, `current_user`, `admin_only`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kiln_buildtime_shop::{
    AuditRow, NewProduct, Order, OrderFilter, Page, Product, Stats, StatusChange, Stock, User,
};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub(crate) async fn create_product(
    State(s): State<AppState>,
    Json(new): Json<NewProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.store.create_product(new)?)))
}

pub(crate) async fn update_product(
    State(s): State<AppState>,
    Path(id): Path<u64>,
    Json(new): Json<NewProduct>,
) -> ApiResult<Product> {
    Ok(Json(s.store.update_product(id, new)?))
}

pub(crate) async fn delete_product(
    State(s): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    s.store.delete_product(id)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn set_stock(
    State(s): State<AppState>,
    Path(id): Path<u64>,
    Json(stock): Json<Stock>,
) -> ApiResult<Product> {
    Ok(Json(s.store.set_stock(id, stock.stock)?))
}

pub(crate) async fn all_orders(
    State(s): State<AppState>,
    Query(filter): Query<OrderFilter>,
) -> Json<Vec<Order>> {
    Json(s.store.orders(&filter))
}

pub(crate) async fn set_order_status(
    State(s): State<AppState>,
    Path(id): Path<u64>,
    Json(change): Json<StatusChange>,
) -> ApiResult<Order> {
    Ok(Json(s.store.set_order_status(id, change.status)?))
}

pub(crate) async fn list_users(
    State(s): State<AppState>,
    Query(page): Query<Page>,
) -> Json<Vec<User>> {
    Json(s.store.users(&page))
}

pub(crate) async fn show_user(State(s): State<AppState>, Path(id): Path<u64>) -> ApiResult<User> {
    Ok(Json(s.store.user(id)?))
}

pub(crate) async fn audit_log(State(s): State<AppState>) -> Json<Vec<AuditRow>> {
    Json(s.audit_log.rows())
}

pub(crate) async fn shop_stats(State(s): State<AppState>) -> Json<Stats> {
    Json(s.store.stats())
}
