//! Who is asking: the token's claims (typed, issued and verified by kiln's
//! `JwtAuth` under RealWorld's `Token` scheme), the two middleware that
//! provide them (`auth` where a user is required, `maybe_auth` where a
//! reader may be anonymous), and argon2 password hashes, computed on
//! tokio's blocking pool so a login never stalls the request threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use kiln::builtin::{JwtAuth, JwtRejection};
use kiln::prelude::*;
use password_hash::rand_core::OsRng;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What a Conduit token says: the user's id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user's id (`users.id`).
    pub(crate) uid: i64,
}

/// A signed-in user is required: `401` without a valid `Token`.
#[middleware(priority = -20, pre_route)]
pub(crate) fn signed_in(jwt: &JwtAuth, req: &Request) -> Result<Claims, JwtRejection> {
    jwt.verify(req)
}

/// A reader may be anonymous (`None`); a token, when sent, must be valid.
#[middleware(priority = -20, pre_route)]
pub(crate) fn maybe_signed_in(
    jwt: &JwtAuth,
    req: &Request,
) -> Result<Option<Claims>, JwtRejection> {
    jwt.verify_optional(req)
}

/// The viewer's id, when there is one.
pub(crate) fn viewer(claims: &Option<Claims>) -> Option<i64> {
    claims.as_ref().map(|c| c.uid)
}

/// A token for user `uid`.
pub(crate) fn token(jwt: &JwtAuth, uid: i64) -> Result<String, ApiError> {
    Ok(jwt.issue(&Claims { uid })?)
}

/// Hashes `password` (argon2id, a random salt) into a PHC string.
pub(crate) async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError(Error::internal()))?
    .map_err(|e| {
        tracing::error!(target: "conduit", error = %e, "password not hashed");
        ApiError(Error::internal())
    })
}

/// Whether `password` matches the stored PHC `hash`.
pub(crate) async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .map_err(|_| ApiError(Error::internal()))
}
