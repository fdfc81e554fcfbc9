//! The axum + sqlx peer of `realworld`: the Conduit subset the scenario
//! drives (register, login, list, get, create, favorite), written the way
//! axum users write it — `State` with the pool and the JWT keys, extractors
//! for the token, `pool.begin()` / `commit()` by hand for writes,
//! jsonwebtoken and argon2 (on the blocking pool) — on the schema of
//! `examples/migrations/conduit` with the SQL of `examples/conduit`.
//!
//! One binary serves SQLite or Postgres (`--db`) through
//! [`app_db`]: each query written once, SQLite with
//! kiln's settings, Postgres with kiln's pool size. CORS and a per-address
//! rate limit (tower_governor) wrap the routes as they do kiln's Conduit.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use password_hash::rand_core::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row as _;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::cors::CorsLayer;

use super::super::app_db::{self, Conn, Db, Migrations, on};
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb;
use super::{JWT_SECRET, JWT_SECRET_ENV, jobs};

const SQLITE_SCHEMA: &str =
    include_str!("../../../../examples/migrations/conduit/sqlite/0001_schema.sql");
const POSTGRES_SCHEMA: &str =
    include_str!("../../../../examples/migrations/conduit/postgres/0001_schema.sql");

/// What every handler shares.
struct App {
    db: Db,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

type AppState = State<Arc<App>>;

/// RealWorld's error: `{"errors": {"body": [...]}}` with the status.
struct ApiError(StatusCode, String);

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        eprintln!("server_axum: database error: {e}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "database error".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"errors": {"body": [self.1]}}))).into_response()
    }
}

fn fail(status: StatusCode, msg: &str) -> ApiError {
    ApiError(status, msg.to_owned())
}

// ------------------------------------------------------------------ auth

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    uid: i64,
    exp: u64,
    iss: String,
}

/// A signed-in user: `Authorization: Token <jwt>`, else `401`.
struct Auth(i64);

/// A reader who may be anonymous; a token, when sent, must be valid.
struct MaybeAuth(Option<i64>);

fn token_of(parts: &Parts, app: &App) -> Result<Option<i64>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Token "))
        .ok_or_else(|| {
            fail(
                StatusCode::UNAUTHORIZED,
                "authorization is not `Token <jwt>`",
            )
        })?;
    let data = jsonwebtoken::decode::<Claims>(token, &app.decoding, &app.validation)
        .map_err(|_| fail(StatusCode::UNAUTHORIZED, "invalid token"))?;
    Ok(Some(data.claims.uid))
}

impl FromRequestParts<Arc<App>> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        token_of(parts, app)?
            .map(Auth)
            .ok_or_else(|| fail(StatusCode::UNAUTHORIZED, "a token is required"))
    }
}

impl FromRequestParts<Arc<App>> for MaybeAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        token_of(parts, app).map(MaybeAuth)
    }
}

fn issue(app: &App, uid: i64) -> Result<String, ApiError> {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        + 7 * 24 * 3600;
    let claims = Claims {
        uid,
        exp,
        iss: "conduit".into(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &app.encoding)
        .map_err(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "token not issued"))
}

// ------------------------------------------------------------------ users

#[derive(Deserialize)]
struct UserIn<T> {
    user: T,
}

#[derive(Deserialize)]
struct NewUser {
    username: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

fn user_out(app: &App, uid: i64, email: &str, username: &str) -> Result<Response, ApiError> {
    let token = issue(app, uid)?;
    Ok(Json(json!({"user": {
        "email": email, "token": token, "username": username, "bio": null, "image": null,
    }}))
    .into_response())
}

async fn register(
    State(app): AppState,
    Json(UserIn { user }): Json<UserIn<NewUser>>,
) -> Result<Response, ApiError> {
    let password = user.password;
    let hash = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| fail(StatusCode::INTERNAL_SERVER_ERROR, "password not hashed"))?;
    let mut tx = app.db.begin().await?;
    let id: i64 = on!(tx.conn(), c => sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.email)
    .bind(&hash)
    .fetch_one(&mut *c)
    .await)?;
    tx.commit().await?;
    let mut res = user_out(&app, id, &user.email, &user.username)?;
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

async fn login(
    State(app): AppState,
    Json(UserIn { user }): Json<UserIn<Login>>,
) -> Result<Response, ApiError> {
    let mut conn = app.db.read().await?;
    let row: Option<(i64, String, String)> = on!(conn.conn(), c => sqlx::query_as(
        "SELECT id, username, password_hash FROM users WHERE email = $1",
    )
    .bind(&user.email)
    .fetch_optional(&mut *c)
    .await)?;
    drop(conn);
    let wrong = || fail(StatusCode::UNAUTHORIZED, "wrong email or password");
    let (id, username, hash) = row.ok_or_else(wrong)?;
    let password = user.password;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if !ok {
        return Err(wrong());
    }
    user_out(&app, id, &user.email, &username)
}

// ------------------------------------------------------------------ articles

#[derive(Serialize)]
struct Profile {
    username: String,
    bio: Option<String>,
    image: Option<String>,
    following: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Article {
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

/// An article and its id, from a row of [`SELECT`] (per backend: the row types differ).
macro_rules! article {
    ($r:expr) => {{
        let r = $r;
        let tags: String = r.try_get("tag_list")?;
        (
            r.try_get::<i64, _>("id")?,
            Article {
                slug: r.try_get("slug")?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                body: r.try_get("body")?,
                tag_list: serde_json::from_str(&tags).unwrap_or_default(),
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
                favorited: r.try_get("favorited")?,
                favorites_count: r.try_get("favorites_count")?,
                author: Profile {
                    username: r.try_get("username")?,
                    bio: r.try_get("bio")?,
                    image: r.try_get("image")?,
                    following: r.try_get("following")?,
                },
            },
        )
    }};
}

/// kiln's Conduit's `SELECT`: every field as the viewer (`$1`, or NULL) sees it.
const SELECT: &str = "SELECT a.id, a.author_id, a.slug, a.title, a.description, a.body, a.tag_list, \
     a.created_at, a.updated_at, \
     EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = $1) AS favorited, \
     (SELECT count(*) FROM favorites f WHERE f.article_id = a.id) AS favorites_count, \
     u.username, u.bio, u.image, \
     EXISTS (SELECT 1 FROM follows fo WHERE fo.followee_id = a.author_id AND fo.follower_id = $1) AS following \
     FROM articles a JOIN users u ON u.id = a.author_id";

/// The list's filters (tag `$2`, author `$3`, favorited-by `$4`); `$1` in the count.
const LIST_FILTER: &str = "WHERE ($2 IS NULL OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = $2)) \
     AND ($3 IS NULL OR u.username = $3) \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM favorites f JOIN users fu ON fu.id = f.user_id \
                                WHERE f.article_id = a.id AND fu.username = $4))";
const COUNT_FILTER: &str = "WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = $1)) \
     AND ($2 IS NULL OR u.username = $2) \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM favorites f JOIN users fu ON fu.id = f.user_id \
                                WHERE f.article_id = a.id AND fu.username = $3))";

async fn by_slug(
    conn: Conn<'_>,
    slug: &str,
    viewer: Option<i64>,
) -> Result<(i64, Article), ApiError> {
    let sql = format!("{SELECT} WHERE a.slug = $2");
    let found = on!(conn, c => {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer)
            .bind(slug)
            .fetch_optional(&mut *c)
            .await?;
        match row {
            Some(r) => Some(article!(r)),
            None => None,
        }
    });
    found.ok_or_else(|| fail(StatusCode::NOT_FOUND, "article not found"))
}

#[derive(Deserialize)]
struct ListQuery {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(app): AppState,
    MaybeAuth(viewer): MaybeAuth,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let (limit, offset) = (
        q.limit.unwrap_or(20).clamp(0, 100),
        q.offset.unwrap_or(0).max(0),
    );
    let sql =
        format!("{SELECT} {LIST_FILTER} ORDER BY a.created_at DESC, a.id DESC LIMIT $5 OFFSET $6");
    let count_sql = format!(
        "SELECT count(*) FROM articles a JOIN users u ON u.id = a.author_id {COUNT_FILTER}"
    );
    let mut conn = app.db.read().await?;
    let (articles, count) = on!(conn.conn(), c => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(viewer)
            .bind(&q.tag)
            .bind(&q.author)
            .bind(&q.favorited)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *c)
            .await?;
        let mut articles = Vec::with_capacity(rows.len());
        for r in &rows {
            articles.push(article!(r).1);
        }
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(&q.tag)
            .bind(&q.author)
            .bind(&q.favorited)
            .fetch_one(&mut *c)
            .await?;
        (articles, count)
    });
    Ok(Json(json!({"articles": articles, "articlesCount": count})).into_response())
}

async fn article(
    State(app): AppState,
    MaybeAuth(viewer): MaybeAuth,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let mut conn = app.db.read().await?;
    let (_, a) = by_slug(conn.conn(), &slug, viewer).await?;
    Ok(Json(json!({"article": a})).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewArticle {
    title: String,
    description: String,
    body: String,
    tag_list: Option<Vec<String>>,
}

async fn create(
    State(app): AppState,
    Auth(uid): Auth,
    Json(ArticleIn { article: new }): Json<ArticleIn>,
) -> Result<Response, ApiError> {
    if [&new.title, &new.description, &new.body]
        .iter()
        .any(|s| s.trim().is_empty())
    {
        return Err(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "title, description and body are required",
        ));
    }
    let mut tags: Vec<String> = new
        .tag_list
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_owned())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let tag_json = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
    let slug = slug(&new.title);
    let at = now();
    let mut tx = app.db.begin().await?;
    on!(tx.conn(), c => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (slug, title, description, body, tag_list, author_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&slug)
        .bind(&new.title)
        .bind(&new.description)
        .bind(&new.body)
        .bind(&tag_json)
        .bind(uid)
        .bind(&at)
        .fetch_one(&mut *c)
        .await?;
        // Conduit's follower notification, durable: a job row in this transaction.
        let ms = jobs::now_ms();
        sqlx::query(jobs::INSERT)
            .bind(jobs::NOTIFY_FOLLOWERS)
            .bind(jobs::payload(id))
            .bind(None::<&str>)
            .bind(jobs::MAX_ATTEMPTS)
            .bind(ms)
            .bind(ms)
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        for tag in &tags {
            sqlx::query("INSERT INTO article_tags (article_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(tag)
                .execute(&mut *c)
                .await?;
        }
    });
    let (_, a) = by_slug(tx.conn(), &slug, Some(uid)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"article": a}))).into_response())
}

#[derive(Deserialize)]
struct ArticleIn {
    article: NewArticle,
}

async fn favorite(
    State(app): AppState,
    Auth(uid): Auth,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let mut tx = app.db.begin().await?;
    let (id, _) = by_slug(tx.conn(), &slug, Some(uid)).await?;
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(uid)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(drop))?;
    let (_, a) = by_slug(tx.conn(), &slug, Some(uid)).await?;
    tx.commit().await?;
    Ok(Json(json!({"article": a})).into_response())
}

// ------------------------------------------------------------------ helpers

/// A URL-safe slug: lowercase ASCII words joined by `-`, and a random
/// 24-bit suffix (as kiln's Conduit).
fn slug(title: &str) -> String {
    let mut s: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    s.push(format!("{:06x}", fastrand::u32(..) & 0xff_ffff));
    s.join("-")
}

/// Now in UTC as `2024-05-01T12:00:00.000Z` (RealWorld's timestamps).
fn now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from the day count (Howard Hinnant's algorithm, shifted to March).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Conduit's schema, `examples/migrations/conduit`, and the peer's jobs table.
const MIGRATIONS: Migrations = Migrations {
    sqlite: &[SQLITE_SCHEMA, jobs::SQLITE],
    postgres: &[POSTGRES_SCHEMA, jobs::POSTGRES],
};

fn router(app: Arc<App>) -> std::io::Result<Router> {
    let rate = std::env::var("CONDUIT_RATE_PER_SECOND")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(50);
    let governor = GovernorConfigBuilder::default()
        .period(Duration::from_nanos(1_000_000_000 / rate.max(1)))
        .burst_size(u32::try_from(rate.saturating_mul(2)).unwrap_or(u32::MAX))
        .finish()
        .ok_or_else(|| io("bad rate limit"))?;
    let api = Router::new()
        .route("/users", post(register))
        .route("/users/login", post(login))
        .route("/articles", get(list).post(create))
        .route("/articles/{slug}", get(article))
        .route("/articles/{slug}/favorite", post(favorite));
    Ok(Router::new()
        .nest("/api", api)
        .with_state(app)
        .layer(GovernorLayer::new(Arc::new(governor)))
        .layer(CorsLayer::very_permissive()))
}

/// Serves `realworld` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let (port, kind) = (args.port, args.db);
    let secret = std::env::var(JWT_SECRET_ENV).unwrap_or_else(|_| JWT_SECRET.into());
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["conduit"]);
        let app = Arc::new(App {
            db: app_db::open(kind, &url, MIGRATIONS).await?,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        });
        let app = router(app)?.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let listener = bind(port).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(async move { axum::serve(listener, app).await })
            .await
            .map_err(io)?
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_timestamps() {
        let s = slug("How to train your dragon?");
        assert!(s.starts_with("how-to-train-your-dragon-"), "{s}");
        assert_eq!(s.len(), "how-to-train-your-dragon-".len() + 6, "{s}");
        let t = now();
        assert_eq!(t.len(), "2024-05-01T12:00:00.000Z".len(), "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
