//! JWT authentication on `jsonwebtoken`: pinned algorithms, keys from
//! secrets, PEM or a JWKS document, RFC 6750 challenges under a configurable
//! scheme (`Bearer`, or `Token` for APIs such as RealWorld's), optional
//! authentication, and token issuing with HMAC keys.
//!
//! One module per concern: `keys` (keys and JWKS), `claims`, `rejection`
//! (refusals and their challenges), `builder` (the checked configuration),
//! `verify` (`JwtAuth`: verification and the middleware), `issue` (signing)
//! and `cache` (verified tokens of the middleware).

mod builder;
mod cache;
mod claims;
mod issue;
mod keys;
mod rejection;
mod verify;

pub use jsonwebtoken::Algorithm;

pub use builder::JwtAuthBuilder;
pub use claims::{Audience, JwtClaims};
pub use keys::JwtKey;
pub use rejection::{JwtIssueError, JwtRejection};
pub use verify::JwtAuth;
