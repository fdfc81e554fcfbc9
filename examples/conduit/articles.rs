//! Articles: the list (by tag, author, favoriter; paged), the feed, one by
//! slug, create, update, delete, and favorites.
//!
//! The anonymous list is served from the response cache, tagged
//! [`ARTICLES`]; each write here drops that tag (and [`TAGS`] when the tags
//! in use may change) once its transaction commits. Publishing also
//! enqueues the followers' notifications in the same transaction.

use garde::Validate;
use kiln::builtin::ResponseCache;
use kiln::cache::Tagged;
use kiln::prelude::*;
use kiln::tasks::Tasks;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;

use crate::auth::{Claims, viewer};
use crate::db::{Conn, Read, Tx, on};
use crate::error::ApiError;
use crate::model::{Profile, now, slug};
use crate::notifications;
use crate::rules::{not_blank, tags};

/// The cache tag of every cached article list.
pub(crate) const ARTICLES: &str = "articles";
/// The cache tag of the cached tag list.
pub(crate) const TAGS: &str = "tags";

/// An article as the API returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Article {
    slug: String,
    title: String,
    description: String,
    body: String,
    tag_list: Vec<String>,
    created_at: String,
    updated_at: String,
    favorited: bool,
    favorites_count: i64,
    author: Profile,
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    author_id: i64,
    slug: String,
    title: String,
    description: String,
    body: String,
    tag_list: String,
    created_at: String,
    updated_at: String,
    favorited: bool,
    favorites_count: i64,
    #[sqlx(flatten)]
    author: Profile,
}

impl From<ArticleRow> for Article {
    fn from(r: ArticleRow) -> Self {
        Article {
            slug: r.slug,
            title: r.title,
            description: r.description,
            body: r.body,
            tag_list: serde_json::from_str(&r.tag_list).unwrap_or_default(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            favorited: r.favorited,
            favorites_count: r.favorites_count,
            author: r.author,
        }
    }
}

/// Every article field, as the viewer (`$1`, or NULL) sees it.
const SELECT: &str = "SELECT a.id, a.author_id, a.slug, a.title, a.description, a.body, a.tag_list, \
     a.created_at, a.updated_at, \
     EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = $1) AS favorited, \
     (SELECT count(*) FROM favorites f WHERE f.article_id = a.id) AS favorites_count, \
     u.username, u.bio, u.image, \
     EXISTS (SELECT 1 FROM follows fo WHERE fo.followee_id = a.author_id AND fo.follower_id = $1) AS following \
     FROM articles a JOIN users u ON u.id = a.author_id";

/// The filters of the list: tag, author and favorited-by, as parameters
/// `$tag`, `$tag + 1` and `$tag + 2` (NULL for no filter).
fn filter(tag: u8) -> String {
    let (author, fav) = (tag + 1, tag + 2);
    format!(
        "WHERE (${tag} IS NULL OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = ${tag})) \
         AND (${author} IS NULL OR u.username = ${author}) \
         AND (${fav} IS NULL OR EXISTS (SELECT 1 FROM favorites f JOIN users fu ON fu.id = f.user_id \
                                        WHERE f.article_id = a.id AND fu.username = ${fav}))"
    )
}

/// Only authors the viewer (`$1`) follows.
const FEED: &str = "WHERE a.author_id IN (SELECT followee_id FROM follows WHERE follower_id = $1)";

/// `{"article": ...}` out.
#[derive(Serialize)]
pub(crate) struct ArticleBody<T> {
    article: T,
}

/// `{"article": ...}` in, to create one.
#[derive(Deserialize, Validate)]
pub(crate) struct NewArticleBody {
    #[garde(dive)]
    article: NewArticle,
}

/// `{"article": ...}` in, to change one.
#[derive(Deserialize, Validate)]
pub(crate) struct UpdateArticleBody {
    #[garde(dive)]
    article: ArticleUpdate,
}

/// `{"articles": [...], "articlesCount": n}`: a page, and how many match.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Articles {
    articles: Vec<Article>,
    articles_count: i64,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

/// `limit` (default 20, at most 100) and `offset` (default 0).
fn page(limit: Option<i64>, offset: Option<i64>) -> (i64, i64) {
    (
        limit.unwrap_or(20).clamp(0, 100),
        offset.unwrap_or(0).max(0),
    )
}

/// The article `slug`, as `viewer` sees it.
async fn by_slug(conn: Conn<'_>, slug: &str, viewer: Option<i64>) -> Result<ArticleRow, ApiError> {
    let sql = format!("{SELECT} WHERE a.slug = $2");
    let row: Option<ArticleRow> = on!(conn, c => sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(viewer)
        .bind(slug)
        .fetch_optional(&mut *c)
        .await)?;
    row.ok_or_else(|| ApiError::not_found("article"))
}

/// `GET /api/articles` (a token is optional): most recent first. Tagged
/// [`ARTICLES`] for the response cache (which stores only anonymous ones).
#[handler]
pub(crate) async fn list(
    read: &mut Read,
    claims: &Option<Claims>,
    Query(q): Query<ListQuery>,
) -> Result<Tagged<Json<Articles>>, ApiError> {
    let (limit, offset) = page(q.limit, q.offset);
    let sql = format!(
        "{SELECT} {} ORDER BY a.created_at DESC, a.id DESC LIMIT $5 OFFSET $6",
        filter(2)
    );
    let count_sql = format!(
        "SELECT count(*) FROM articles a JOIN users u ON u.id = a.author_id {}",
        filter(1)
    );
    let viewer = viewer(claims);
    let mut conn = read.conn();
    let rows: Vec<ArticleRow> = on!(&mut conn, c => sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(viewer)
        .bind(&q.tag)
        .bind(&q.author)
        .bind(&q.favorited)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut **c)
        .await)?;
    let count: i64 = on!(&mut conn, c => sqlx::query_scalar(AssertSqlSafe(count_sql.as_str()))
        .bind(&q.tag)
        .bind(&q.author)
        .bind(&q.favorited)
        .fetch_one(&mut **c)
        .await)?;
    Ok(Tagged::new(
        [ARTICLES],
        Json(Articles {
            articles: rows.into_iter().map(Article::from).collect(),
            articles_count: count,
        }),
    ))
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/articles/feed`: articles by the authors the user follows.
#[handler]
pub(crate) async fn feed(
    read: &mut Read,
    claims: &Claims,
    Query(q): Query<PageQuery>,
) -> Result<Json<Articles>, ApiError> {
    let (limit, offset) = page(q.limit, q.offset);
    let sql = format!("{SELECT} {FEED} ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3");
    let count_sql = format!("SELECT count(*) FROM articles a {FEED}");
    let mut conn = read.conn();
    let rows: Vec<ArticleRow> = on!(&mut conn, c => sqlx::query_as(AssertSqlSafe(sql.as_str()))
        .bind(claims.uid)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut **c)
        .await)?;
    let count: i64 = on!(&mut conn, c => sqlx::query_scalar(AssertSqlSafe(count_sql.as_str()))
        .bind(claims.uid)
        .fetch_one(&mut **c)
        .await)?;
    Ok(Json(Articles {
        articles: rows.into_iter().map(Article::from).collect(),
        articles_count: count,
    }))
}

/// `GET /api/articles/{slug}` (a token is optional).
#[handler]
pub(crate) async fn get(
    read: &mut Read,
    claims: &Option<Claims>,
    Path(slug): Path<String>,
) -> Result<Json<ArticleBody<Article>>, ApiError> {
    let row = by_slug(read.conn(), &slug, viewer(claims)).await?;
    Ok(Json(ArticleBody {
        article: row.into(),
    }))
}

#[derive(Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewArticle {
    #[garde(custom(not_blank), length(max = 200))]
    title: String,
    #[garde(custom(not_blank), length(max = 500))]
    description: String,
    #[garde(custom(not_blank))]
    body: String,
    #[garde(custom(tags))]
    tag_list: Option<Vec<String>>,
}

/// Sorted, without duplicates: the order the API returns them in.
fn normalize(tags: Option<Vec<String>>) -> Vec<String> {
    let mut tags: Vec<String> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_owned())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

/// Writes the article's tags (the filter table; the JSON copy is on the row).
async fn set_tags(mut conn: Conn<'_>, id: i64, tags: &[String]) -> Result<(), ApiError> {
    on!(&mut conn, c => sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
        .bind(id).execute(&mut **c).await.map(drop))?;
    for tag in tags {
        on!(&mut conn, c => sqlx::query("INSERT INTO article_tags (article_id, tag) VALUES ($1, $2)")
            .bind(id).bind(tag).execute(&mut **c).await.map(drop))?;
    }
    Ok(())
}

/// `POST /api/articles`: `201` with the article. In the same transaction:
/// the job that notifies the author's followers, and the cache
/// invalidation, so both happen only if the article is committed.
#[handler]
pub(crate) async fn create(
    tx: &mut Tx,
    claims: &Claims,
    tasks: &Tasks,
    cache: &ResponseCache,
    Valid(Json(body)): Valid<Json<NewArticleBody>>,
) -> Result<(StatusCode, Json<ArticleBody<Article>>), ApiError> {
    let new = body.article;
    let tags = normalize(new.tag_list);
    let tag_json = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
    let slug = slug(&new.title);
    let at = now();
    let id: i64 = on!(tx.conn(), c => sqlx::query_scalar(
        "INSERT INTO articles (slug, title, description, body, tag_list, author_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&slug)
    .bind(&new.title)
    .bind(&new.description)
    .bind(&new.body)
    .bind(&tag_json)
    .bind(claims.uid)
    .bind(&at)
    .fetch_one(&mut *c)
    .await)?;
    notifications::enqueue(tasks, tx, id).await?;
    tx.invalidate_after_commit(cache, &[ARTICLES, TAGS]);
    set_tags(tx.conn(), id, &tags).await?;
    let row = by_slug(tx.conn(), &slug, Some(claims.uid)).await?;
    Ok((
        StatusCode::CREATED,
        Json(ArticleBody {
            article: row.into(),
        }),
    ))
}

#[derive(Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArticleUpdate {
    #[garde(inner(custom(not_blank), length(max = 200)))]
    title: Option<String>,
    #[garde(inner(custom(not_blank), length(max = 500)))]
    description: Option<String>,
    #[garde(inner(custom(not_blank)))]
    body: Option<String>,
    #[garde(custom(tags))]
    tag_list: Option<Vec<String>>,
}

/// The article `slug` if `uid` wrote it: `404`, or `403` for another's.
async fn own(conn: Conn<'_>, slug: &str, uid: i64) -> Result<ArticleRow, ApiError> {
    let row = by_slug(conn, slug, Some(uid)).await?;
    if row.author_id != uid {
        return Err(ApiError::forbidden("article"));
    }
    Ok(row)
}

/// `PUT /api/articles/{slug}`: changes the fields given; a new title is a new slug.
#[handler]
pub(crate) async fn update(
    tx: &mut Tx,
    claims: &Claims,
    cache: &ResponseCache,
    Path(old_slug): Path<String>,
    Valid(Json(body)): Valid<Json<UpdateArticleBody>>,
) -> Result<Json<ArticleBody<Article>>, ApiError> {
    let up = body.article;
    let current = own(tx.conn(), &old_slug, claims.uid).await?;
    let new_slug = match &up.title {
        Some(t) if *t != current.title => slug(t),
        _ => current.slug,
    };
    let tags = up.tag_list.map(|t| normalize(Some(t)));
    let tag_json = match &tags {
        Some(t) => serde_json::to_string(t).unwrap_or_else(|_| "[]".into()),
        None => current.tag_list,
    };
    on!(tx.conn(), c => sqlx::query(
        "UPDATE articles SET slug = $1, title = $2, description = $3, body = $4, tag_list = $5, updated_at = $6 \
         WHERE id = $7",
    )
    .bind(&new_slug)
    .bind(up.title.as_ref().unwrap_or(&current.title))
    .bind(up.description.as_ref().unwrap_or(&current.description))
    .bind(up.body.as_ref().unwrap_or(&current.body))
    .bind(&tag_json)
    .bind(now())
    .bind(current.id)
    .execute(&mut *c)
    .await
    .map(drop))?;
    if let Some(tags) = &tags {
        set_tags(tx.conn(), current.id, tags).await?;
        tx.invalidate_after_commit(cache, &[TAGS]);
    }
    tx.invalidate_after_commit(cache, &[ARTICLES]);
    let row = by_slug(tx.conn(), &new_slug, Some(claims.uid)).await?;
    Ok(Json(ArticleBody {
        article: row.into(),
    }))
}

/// `DELETE /api/articles/{slug}`: `204`; its comments, tags and favorites go with it.
#[handler]
pub(crate) async fn delete(
    tx: &mut Tx,
    claims: &Claims,
    cache: &ResponseCache,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let article = own(tx.conn(), &slug, claims.uid).await?;
    on!(tx.conn(), c => sqlx::query("DELETE FROM articles WHERE id = $1")
        .bind(article.id).execute(&mut *c).await.map(drop))?;
    tx.invalidate_after_commit(cache, &[ARTICLES, TAGS]);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/articles/{slug}/favorite`. The lists show `favoritesCount`:
/// they are invalidated.
#[handler]
pub(crate) async fn favorite(
    tx: &mut Tx,
    claims: &Claims,
    cache: &ResponseCache,
    Path(slug): Path<String>,
) -> Result<Json<ArticleBody<Article>>, ApiError> {
    let article = by_slug(tx.conn(), &slug, Some(claims.uid)).await?;
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    ).bind(claims.uid).bind(article.id).execute(&mut *c).await.map(drop))?;
    tx.invalidate_after_commit(cache, &[ARTICLES]);
    let row = by_slug(tx.conn(), &slug, Some(claims.uid)).await?;
    Ok(Json(ArticleBody {
        article: row.into(),
    }))
}

/// `DELETE /api/articles/{slug}/favorite`.
#[handler]
pub(crate) async fn unfavorite(
    tx: &mut Tx,
    claims: &Claims,
    cache: &ResponseCache,
    Path(slug): Path<String>,
) -> Result<Json<ArticleBody<Article>>, ApiError> {
    let article = by_slug(tx.conn(), &slug, Some(claims.uid)).await?;
    on!(tx.conn(), c => sqlx::query("DELETE FROM favorites WHERE user_id = $1 AND article_id = $2")
        .bind(claims.uid).bind(article.id).execute(&mut *c).await.map(drop))?;
    tx.invalidate_after_commit(cache, &[ARTICLES]);
    let row = by_slug(tx.conn(), &slug, Some(claims.uid)).await?;
    Ok(Json(ArticleBody {
        article: row.into(),
    }))
}

/// The id of the article `slug` (for comments), `404` when there is none.
pub(crate) async fn id_of(conn: Conn<'_>, slug: &str) -> Result<i64, ApiError> {
    let id: Option<i64> = on!(conn, c => sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
        .bind(slug).fetch_optional(&mut *c).await)?;
    id.ok_or_else(|| ApiError::not_found("article"))
}
