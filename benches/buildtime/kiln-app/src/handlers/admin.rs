//! Admin routes (the `/admin` scope: `JwtAuth`, `current_user`, `admin_only`).

use kiln::prelude::*;
use kiln_buildtime_shop::{
    AuditLog, AuditRow, NewProduct, Order, OrderFilter, Page, Product, Stats, StatusChange, Stock,
    Store, User,
};

use crate::error::{ApiError, ApiResult};

#[handler]
pub(crate) fn create_product(
    store: &Store,
    Json(new): Json<NewProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    Ok((StatusCode::CREATED, Json(store.create_product(new)?)))
}

#[handler]
pub(crate) fn update_product(
    store: &Store,
    Path(id): Path<u64>,
    Json(new): Json<NewProduct>,
) -> ApiResult<Product> {
    Ok(Json(store.update_product(id, new)?))
}

#[handler]
pub(crate) fn delete_product(store: &Store, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    store.delete_product(id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[handler]
pub(crate) fn set_stock(
    store: &Store,
    Path(id): Path<u64>,
    Json(stock): Json<Stock>,
) -> ApiResult<Product> {
    Ok(Json(store.set_stock(id, stock.stock)?))
}

#[handler]
pub(crate) fn all_orders(store: &Store, Query(filter): Query<OrderFilter>) -> Json<Vec<Order>> {
    Json(store.orders(&filter))
}

#[handler]
pub(crate) fn set_order_status(
    store: &Store,
    Path(id): Path<u64>,
    Json(change): Json<StatusChange>,
) -> ApiResult<Order> {
    Ok(Json(store.set_order_status(id, change.status)?))
}

#[handler]
pub(crate) fn list_users(store: &Store, Query(page): Query<Page>) -> Json<Vec<User>> {
    Json(store.users(&page))
}

#[handler]
pub(crate) fn show_user(store: &Store, Path(id): Path<u64>) -> ApiResult<User> {
    Ok(Json(store.user(id)?))
}

#[handler]
pub(crate) fn audit_log(log: &AuditLog) -> Json<Vec<AuditRow>> {
    Json(log.rows())
}

#[handler]
pub(crate) fn shop_stats(store: &Store) -> Json<Stats> {
    Json(store.stats())
}
