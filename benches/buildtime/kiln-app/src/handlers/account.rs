//! Routes for a signed-in user (`JwtAuth` + `current_user` on each): profile,
//! addresses, cart, orders, reviews, wishlist.

use kiln::prelude::*;
use kiln_buildtime_shop::{
    Address, Line, NewOrder, NewReview, Order, Page, Product, Profile, Review, Store, TOKEN_TTL,
    Token, User, issue_token,
};

use crate::error::{ApiError, ApiResult};

#[handler]
pub(crate) fn me(user: &User) -> Json<User> {
    Json(user.clone())
}

#[handler]
pub(crate) fn update_me(
    store: &Store,
    user: &User,
    Json(profile): Json<Profile>,
) -> ApiResult<User> {
    Ok(Json(store.update_profile(user.id, profile)?))
}

#[handler]
pub(crate) fn my_orders(store: &Store, user: &User, Query(page): Query<Page>) -> Json<Vec<Order>> {
    Json(store.orders_of(user.id, &page))
}

#[handler]
pub(crate) fn list_addresses(store: &Store, user: &User) -> Json<Vec<Address>> {
    Json(store.addresses(user.id))
}

#[handler]
pub(crate) fn add_address(
    store: &Store,
    user: &User,
    Json(address): Json<Address>,
) -> Result<(StatusCode, Json<Vec<Address>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store.add_address(user.id, address)?),
    ))
}

#[handler]
pub(crate) fn refresh(user: &User) -> Json<Token> {
    Json(Token {
        token: issue_token(user.id),
        expires_in: TOKEN_TTL,
    })
}

#[handler]
pub(crate) fn show_cart(store: &Store, user: &User) -> Json<Vec<Line>> {
    Json(store.cart(user.id))
}

#[handler]
pub(crate) fn add_to_cart(
    store: &Store,
    user: &User,
    Json(line): Json<Line>,
) -> ApiResult<Vec<Line>> {
    Ok(Json(store.add_to_cart(user.id, line)?))
}

#[handler]
pub(crate) fn remove_from_cart(
    store: &Store,
    user: &User,
    Path(product): Path<u64>,
) -> ApiResult<Vec<Line>> {
    Ok(Json(store.remove_from_cart(user.id, product)?))
}

#[handler]
pub(crate) fn place_order(
    store: &Store,
    user: &User,
    Json(new): Json<NewOrder>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store.place_order(user.id, new.lines)?),
    ))
}

#[handler]
pub(crate) fn show_order(store: &Store, user: &User, Path(id): Path<u64>) -> ApiResult<Order> {
    Ok(Json(store.order(id, user)?))
}

#[handler]
pub(crate) fn cancel_order(store: &Store, user: &User, Path(id): Path<u64>) -> ApiResult<Order> {
    Ok(Json(store.cancel_order(id, user)?))
}

#[handler]
pub(crate) fn add_review(
    store: &Store,
    user: &User,
    Path(product): Path<u64>,
    Json(review): Json<NewReview>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store.add_review(product, user.id, review)?),
    ))
}

#[handler]
pub(crate) fn delete_review(
    store: &Store,
    user: &User,
    Path((product, id)): Path<(u64, u64)>,
) -> Result<StatusCode, ApiError> {
    store.delete_review(product, id, user)?;
    Ok(StatusCode::NO_CONTENT)
}

#[handler]
pub(crate) fn wishlist(store: &Store, user: &User) -> Json<Vec<Product>> {
    Json(store.wishlist(user.id))
}

#[handler]
pub(crate) fn wish(store: &Store, user: &User, Path(product): Path<u64>) -> ApiResult<Vec<u64>> {
    Ok(Json(store.wish(user.id, product)?))
}
