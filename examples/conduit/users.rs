//! Users: register, log in, the current user, and updating it.

use garde::Validate;
use kiln::builtin::{JwtAuth, ResponseCache};
use kiln::prelude::*;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;

use crate::articles::ARTICLES;
use crate::auth::{Claims, hash_password, token, verify_password};
use crate::db::{Conn, Read, Tx, on};
use crate::error::{ApiError, is_unique_violation};
use crate::rules::{email_address, not_blank};

/// `{"user": {...}}` out.
#[derive(Serialize)]
pub(crate) struct UserBody<T> {
    pub(crate) user: T,
}

/// `{"user": {...}}` in, for each shape of user.
macro_rules! user_input {
    ($($name:ident($inner:ty)),*) => {$(
        #[derive(Deserialize, Validate)]
        pub(crate) struct $name {
            #[garde(dive)]
            user: $inner,
        }
    )*};
}
user_input!(
    RegisterBody(NewUser),
    LoginBody(Login),
    UpdateBody(UserUpdate)
);

#[derive(Deserialize, Validate)]
pub(crate) struct NewUser {
    #[garde(custom(not_blank), length(max = 64))]
    username: String,
    #[garde(custom(email_address))]
    email: String,
    #[garde(custom(not_blank), length(max = 256))]
    password: String,
}

#[derive(Deserialize, Validate)]
pub(crate) struct Login {
    #[garde(custom(not_blank))]
    email: String,
    #[garde(custom(not_blank))]
    password: String,
}

/// Every field optional; `bio` and `image` may be set to `null`
/// (`Some(None)`), which is not the same as leaving them out (`None`).
#[allow(clippy::option_option)]
#[derive(Deserialize, Validate)]
pub(crate) struct UserUpdate {
    #[garde(inner(custom(not_blank), length(max = 64)))]
    username: Option<String>,
    #[garde(inner(custom(email_address)))]
    email: Option<String>,
    #[garde(inner(custom(not_blank), length(max = 256)))]
    password: Option<String>,
    #[garde(skip)]
    #[serde(default, deserialize_with = "present")]
    bio: Option<Option<String>>,
    #[garde(skip)]
    #[serde(default, deserialize_with = "present")]
    image: Option<Option<String>>,
}

/// `Some(None)` for an explicit `null`, `None` (by `default`) for absent.
#[allow(clippy::option_option)]
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The signed-in user, with a fresh token.
#[derive(Serialize)]
pub(crate) struct User {
    email: String,
    token: String,
    username: String,
    bio: Option<String>,
    image: Option<String>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    username: String,
    bio: Option<String>,
    image: Option<String>,
    password_hash: String,
}

const SELECT: &str = "SELECT id, email, username, bio, image, password_hash FROM users";

async fn by_id(conn: Conn<'_>, id: i64) -> Result<UserRow, ApiError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<UserRow> = on!(conn, c => sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(&mut *c).await)?;
    // A valid token for a deleted user: the token no longer names anyone.
    row.ok_or_else(|| ApiError(Error::unauthorized().message("the user no longer exists")))
}

fn user(jwt: &JwtAuth, row: UserRow) -> Result<Json<UserBody<User>>, ApiError> {
    Ok(Json(UserBody {
        user: User {
            token: token(jwt, row.id)?,
            email: row.email,
            username: row.username,
            bio: row.bio,
            image: row.image,
        },
    }))
}

/// `422` when `username` or `email` belongs to another user than `except`.
async fn check_free(
    mut conn: Conn<'_>,
    username: Option<&str>,
    email: Option<&str>,
    except: i64,
) -> Result<(), ApiError> {
    let taken = |field| ApiError::invalid(field, "has already been taken");
    if let Some(name) = username {
        let n: i64 = on!(&mut conn, c => sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE username = $1 AND id <> $2",
        ).bind(name).bind(except).fetch_one(&mut **c).await)?;
        if n > 0 {
            return Err(taken("username"));
        }
    }
    if let Some(email) = email {
        let n: i64 = on!(&mut conn, c => sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE email = $1 AND id <> $2",
        ).bind(email).bind(except).fetch_one(&mut **c).await)?;
        if n > 0 {
            return Err(taken("email"));
        }
    }
    Ok(())
}

/// `POST /api/users`: `201` with the new user and a token.
#[handler]
pub(crate) async fn register(
    tx: &mut Tx,
    jwt: &JwtAuth,
    Valid(Json(body)): Valid<Json<RegisterBody>>,
) -> Result<(StatusCode, Json<UserBody<User>>), ApiError> {
    let new = body.user;
    check_free(tx.conn(), Some(&new.username), Some(&new.email), 0).await?;
    let hash = hash_password(new.password).await?;
    let id: i64 = on!(tx.conn(), c => sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&new.username)
    .bind(&new.email)
    .bind(&hash)
    .fetch_one(&mut *c)
    .await)
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::invalid("username", "has already been taken")
        } else {
            e.into()
        }
    })?;
    let row = by_id(tx.conn(), id).await?;
    Ok((StatusCode::CREATED, user(jwt, row)?))
}

/// `POST /api/users/login`: the user and a token, or `401`.
#[handler]
pub(crate) async fn login(
    read: &mut Read,
    jwt: &JwtAuth,
    Valid(Json(body)): Valid<Json<LoginBody>>,
) -> Result<Json<UserBody<User>>, ApiError> {
    let sql = format!("{SELECT} WHERE email = $1");
    let row: Option<UserRow> = on!(read.conn(), c => sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(&body.user.email)
        .fetch_optional(&mut *c)
        .await)?;
    let Some(row) = row else {
        return Err(ApiError::bad_credentials());
    };
    if !verify_password(body.user.password, row.password_hash.clone()).await? {
        return Err(ApiError::bad_credentials());
    }
    user(jwt, row)
}

/// `GET /api/user`.
#[handler]
pub(crate) async fn current(
    read: &mut Read,
    jwt: &JwtAuth,
    claims: &Claims,
) -> Result<Json<UserBody<User>>, ApiError> {
    let row = by_id(read.conn(), claims.uid).await?;
    user(jwt, row)
}

/// `PUT /api/user`: changes the fields given. Article lists show their
/// authors' profiles: they are invalidated.
#[handler]
pub(crate) async fn update(
    tx: &mut Tx,
    jwt: &JwtAuth,
    claims: &Claims,
    cache: &ResponseCache,
    Valid(Json(body)): Valid<Json<UpdateBody>>,
) -> Result<Json<UserBody<User>>, ApiError> {
    let up = body.user;
    let current = by_id(tx.conn(), claims.uid).await?;
    check_free(
        tx.conn(),
        up.username.as_deref(),
        up.email.as_deref(),
        current.id,
    )
    .await?;
    let hash = match up.password {
        Some(p) => hash_password(p).await?,
        None => current.password_hash,
    };
    let username = up.username.unwrap_or(current.username);
    let email = up.email.unwrap_or(current.email);
    let bio = up.bio.unwrap_or(current.bio);
    let image = up.image.unwrap_or(current.image);
    on!(tx.conn(), c => sqlx::query(
        "UPDATE users SET username = $1, email = $2, password_hash = $3, bio = $4, image = $5 WHERE id = $6",
    )
    .bind(&username)
    .bind(&email)
    .bind(&hash)
    .bind(&bio)
    .bind(&image)
    .bind(current.id)
    .execute(&mut *c)
    .await
    .map(drop))
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::invalid("username", "has already been taken")
        } else {
            ApiError::from(e)
        }
    })?;
    tx.invalidate_after_commit(cache, &[ARTICLES]);
    let row = by_id(tx.conn(), current.id).await?;
    user(jwt, row)
}
