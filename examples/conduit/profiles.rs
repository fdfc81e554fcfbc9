//! Profiles: get one, follow, unfollow.

use kiln::prelude::*;

use crate::auth::{Claims, viewer};
use crate::db::{Read, Tx, on};
use crate::error::ApiError;
use crate::model::{ProfileBody, profile};

/// `GET /api/profiles/{username}` (a token is optional).
#[handler]
pub(crate) async fn get(
    read: &mut Read,
    claims: &Option<Claims>,
    Path(username): Path<String>,
) -> Result<Json<ProfileBody>, ApiError> {
    let (_, profile) = profile(read.conn(), &username, viewer(claims)).await?;
    Ok(Json(ProfileBody { profile }))
}

/// `POST /api/profiles/{username}/follow`.
#[handler]
pub(crate) async fn follow(
    tx: &mut Tx,
    claims: &Claims,
    Path(username): Path<String>,
) -> Result<Json<ProfileBody>, ApiError> {
    let (id, _) = profile(tx.conn(), &username, None).await?;
    if id == claims.uid {
        return Err(ApiError::invalid("username", "can't be followed by itself"));
    }
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    ).bind(claims.uid).bind(id).execute(&mut *c).await.map(drop))?;
    let (_, profile) = profile(tx.conn(), &username, Some(claims.uid)).await?;
    Ok(Json(ProfileBody { profile }))
}

/// `DELETE /api/profiles/{username}/follow`.
#[handler]
pub(crate) async fn unfollow(
    tx: &mut Tx,
    claims: &Claims,
    Path(username): Path<String>,
) -> Result<Json<ProfileBody>, ApiError> {
    let (id, _) = profile(tx.conn(), &username, None).await?;
    on!(tx.conn(), c => sqlx::query(
        "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2",
    ).bind(claims.uid).bind(id).execute(&mut *c).await.map(drop))?;
    let (_, profile) = profile(tx.conn(), &username, Some(claims.uid)).await?;
    Ok(Json(ProfileBody { profile }))
}
