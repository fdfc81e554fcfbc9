//! Comments on an article: list, add, delete.

use garde::Validate;
use kiln::prelude::*;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;

use crate::articles::id_of;
use crate::auth::{Claims, viewer};
use crate::db::{Conn, Read, Tx, on};
use crate::error::ApiError;
use crate::model::{Profile, now};
use crate::rules::not_blank;

#[derive(Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Comment {
    id: i64,
    created_at: String,
    updated_at: String,
    body: String,
    #[serde(skip)]
    author_id: i64,
    #[sqlx(flatten)]
    author: Profile,
}

/// Comments as the viewer (`$1`) sees their authors.
const SELECT: &str = "SELECT c.id, c.created_at, c.updated_at, c.body, c.author_id, \
     u.username, u.bio, u.image, \
     EXISTS (SELECT 1 FROM follows fo WHERE fo.followee_id = c.author_id AND fo.follower_id = $1) AS following \
     FROM comments c JOIN users u ON u.id = c.author_id";

#[derive(Serialize)]
pub(crate) struct CommentBody {
    comment: Comment,
}

#[derive(Serialize)]
pub(crate) struct CommentsBody {
    comments: Vec<Comment>,
}

#[derive(Deserialize, Validate)]
pub(crate) struct NewCommentBody {
    #[garde(dive)]
    comment: NewComment,
}

#[derive(Deserialize, Validate)]
pub(crate) struct NewComment {
    #[garde(custom(not_blank), length(max = 10_000))]
    body: String,
}

/// `GET /api/articles/{slug}/comments` (a token is optional): oldest first.
#[handler]
pub(crate) async fn list(
    read: &mut Read,
    claims: &Option<Claims>,
    Path(slug): Path<String>,
) -> Result<Json<CommentsBody>, ApiError> {
    let article = id_of(read.conn(), &slug).await?;
    let sql = format!("{SELECT} WHERE c.article_id = $2 ORDER BY c.id");
    let comments: Vec<Comment> = on!(read.conn(), c => sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(viewer(claims))
        .bind(article)
        .fetch_all(&mut *c)
        .await)?;
    Ok(Json(CommentsBody { comments }))
}

async fn by_id(conn: Conn<'_>, id: i64, viewer: i64) -> Result<Option<Comment>, ApiError> {
    let sql = format!("{SELECT} WHERE c.id = $2");
    Ok(
        on!(conn, c => sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(viewer).bind(id).fetch_optional(&mut *c).await)?,
    )
}

/// `POST /api/articles/{slug}/comments`: `201` with the comment.
#[handler]
pub(crate) async fn add(
    tx: &mut Tx,
    claims: &Claims,
    Path(slug): Path<String>,
    Valid(Json(body)): Valid<Json<NewCommentBody>>,
) -> Result<(StatusCode, Json<CommentBody>), ApiError> {
    let article = id_of(tx.conn(), &slug).await?;
    let at = now();
    let id: i64 = on!(tx.conn(), c => sqlx::query_scalar(
        "INSERT INTO comments (article_id, author_id, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(article)
    .bind(claims.uid)
    .bind(&body.comment.body)
    .bind(&at)
    .fetch_one(&mut *c)
    .await)?;
    let comment = by_id(tx.conn(), id, claims.uid)
        .await?
        .ok_or_else(|| ApiError::not_found("comment"))?;
    Ok((StatusCode::CREATED, Json(CommentBody { comment })))
}

/// `DELETE /api/articles/{slug}/comments/{id}`: `204`; only its author may.
#[handler]
pub(crate) async fn delete(
    tx: &mut Tx,
    claims: &Claims,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let article = id_of(tx.conn(), &slug).await?;
    let comment = by_id(tx.conn(), id, claims.uid).await?;
    let comment = comment.ok_or_else(|| ApiError::not_found("comment"))?;
    // A comment id of another article is not found here either.
    let of: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar(
        "SELECT id FROM comments WHERE id = $1 AND article_id = $2",
    ).bind(id).bind(article).fetch_optional(&mut *c).await)?;
    if of.is_none() {
        return Err(ApiError::not_found("comment"));
    }
    if comment.author_id != claims.uid {
        return Err(ApiError::forbidden("comment"));
    }
    on!(tx.conn(), c => sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(id).execute(&mut *c).await.map(drop))?;
    Ok(StatusCode::NO_CONTENT)
}
