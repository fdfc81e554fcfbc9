//! The shop's own errors, each a [`kiln::Error`] with a stable code, so every
//! failure a client sees (kiln's rejections, the database's, these) is one
//! problem+json shape. Handlers return `Result<_, kiln::Error>`; `?` works on
//! `sqlx` and `kiln::db` errors, which convert with their own statuses.

use kiln::FieldError;
use kiln::prelude::*;

/// `409`: a cart line wants more than is in stock.
pub(crate) const OUT_OF_STOCK: &str = "out_of_stock";
/// `409`: checkout of an empty cart.
pub(crate) const CART_EMPTY: &str = "cart_empty";
/// `402`: the payment service declined the charge.
pub(crate) const PAYMENT_DECLINED: &str = "payment_declined";

/// `404`: `"<what> not found"`. Another user's order is "not found" too, so
/// order ids do not leak whose they are.
pub(crate) fn not_found(what: &'static str) -> Error {
    Error::new(StatusCode::NOT_FOUND, kiln::error::code::NOT_FOUND)
        .message(format!("{what} not found"))
}

/// `422` on one field of the body, as `kiln::validate` reports its own.
pub(crate) fn invalid(pointer: &'static str, message: String) -> Error {
    Error::validation_failed([FieldError::new(pointer, message)])
}

/// `409`: `product` has `left` in stock and the cart wants `wanted`.
pub(crate) fn out_of_stock(product: i64, name: &str, left: i64, wanted: i64) -> Error {
    Error::new(StatusCode::CONFLICT, OUT_OF_STOCK).message(format!(
        "product {product} ({name}): {left} in stock, the cart wants {wanted}; \
         change the quantity and check out again"
    ))
}

/// `409`: nothing to check out.
pub(crate) fn cart_empty() -> Error {
    Error::new(StatusCode::CONFLICT, CART_EMPTY)
        .message("the cart is empty: add a product before checking out")
}

/// `402`: the charge was declined, for `reason` (the payment service's words).
pub(crate) fn payment_declined(reason: &str) -> Error {
    Error::new(StatusCode::PAYMENT_REQUIRED, PAYMENT_DECLINED).message(format!(
        "the payment was declined ({reason}); nothing was charged or reserved"
    ))
}
