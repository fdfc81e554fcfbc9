//! Who is shopping: the [`customer`] middleware reads the user's id from the
//! `X-User-Id` header, the way an app behind an authenticating gateway (or a
//! session layer) receives it. Conduit shows kiln's JWT; here the point is
//! the inventory and the transaction, so identity stays one header. It is
//! trusted as given: expose this only behind something that sets it.

use kiln::http::{HeaderName, HeaderValue, header};
use kiln::prelude::*;

/// The header that names the user.
pub(crate) const USER_ID: HeaderName = HeaderName::from_static("x-user-id");

/// The signed-in user, what [`customer`] provides to the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Customer(pub(crate) i64);

/// A user is required: `401` without `X-User-Id`, `400` when it is not a
/// positive integer.
#[middleware(priority = -20, pre_route)]
pub(crate) fn customer(req: &Request) -> Result<Customer, Error> {
    let Some(value) = req.headers().get(&USER_ID) else {
        return Err(
            Error::new(StatusCode::UNAUTHORIZED, kiln::error::code::UNAUTHORIZED)
                .message("sign in: send the user's id in `X-User-Id`")
                .header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("X-User-Id"),
                ),
        );
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
        .map(Customer)
        .ok_or_else(|| {
            Error::new(StatusCode::BAD_REQUEST, kiln::error::code::INVALID_HEADER)
                .message("`X-User-Id` must be a positive integer")
        })
}
