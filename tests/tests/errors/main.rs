//! One error shape: every error kiln generates is an `Error` rendered as
//! RFC 9457 problem+json, and an app can render its own format in one place.

mod render;
mod shape;
