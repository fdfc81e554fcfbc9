//! Routes for a signed-in user (`require_jwt` + `current_user` on each):
//! profile, addresses, cart, orders, reviews, wishlist.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use kiln_buildtime_shop::{
    Address, Line, NewOrder, NewReview, Order, Page, Product, Profile, Review, TOKEN_TTL, Token,
    User, issue_token,
};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub(crate) async fn me(Extension(user): Extension<User>) -> Json<User> {
    Json(user)
}

pub(crate) async fn update_me(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Json(profile): Json<Profile>,
) -> ApiResult<User> {
    Ok(Json(s.store.update_profile(user.id, profile)?))
}

pub(crate) async fn my_orders(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Query(page): Query<Page>,
) -> Json<Vec<Order>> {
    Json(s.store.orders_of(user.id, &page))
}

pub(crate) async fn list_addresses(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
) -> Json<Vec<Address>> {
    Json(s.store.addresses(user.id))
}

pub(crate) async fn add_address(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Json(address): Json<Address>,
) -> Result<(StatusCode, Json<Vec<Address>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.add_address(user.id, address)?),
    ))
}

pub(crate) async fn refresh(Extension(user): Extension<User>) -> Json<Token> {
    Json(Token {
        token: issue_token(user.id),
        expires_in: TOKEN_TTL,
    })
}

pub(crate) async fn show_cart(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
) -> Json<Vec<Line>> {
    Json(s.store.cart(user.id))
}

pub(crate) async fn add_to_cart(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Json(line): Json<Line>,
) -> ApiResult<Vec<Line>> {
    Ok(Json(s.store.add_to_cart(user.id, line)?))
}

pub(crate) async fn remove_from_cart(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path(product): Path<u64>,
) -> ApiResult<Vec<Line>> {
    Ok(Json(s.store.remove_from_cart(user.id, product)?))
}

pub(crate) async fn place_order(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Json(new): Json<NewOrder>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.place_order(user.id, new.lines)?),
    ))
}

pub(crate) async fn show_order(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path(id): Path<u64>,
) -> ApiResult<Order> {
    Ok(Json(s.store.order(id, &user)?))
}

pub(crate) async fn cancel_order(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path(id): Path<u64>,
) -> ApiResult<Order> {
    Ok(Json(s.store.cancel_order(id, &user)?))
}

pub(crate) async fn add_review(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path(product): Path<u64>,
    Json(review): Json<NewReview>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.add_review(product, user.id, review)?),
    ))
}

pub(crate) async fn delete_review(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path((product, id)): Path<(u64, u64)>,
) -> Result<StatusCode, ApiError> {
    s.store.delete_review(product, id, &user)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn wishlist(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
) -> Json<Vec<Product>> {
    Json(s.store.wishlist(user.id))
}

pub(crate) async fn wish(
    State(s): State<AppState>,
    Extension(user): Extension<User>,
    Path(product): Path<u64>,
) -> ApiResult<Vec<u64>> {
    Ok(Json(s.store.wish(user.id, product)?))
}
