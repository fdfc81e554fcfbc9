//! Notifications, an extension to the RealWorld API: when an article is
//! published, each follower of its author gets one.
//!
//! Publishing enqueues a durable job (`notify_followers`, through
//! `kiln::tasks`' outbox) in the request's own transaction, so the job
//! exists if and only if the article was committed. A worker — in the
//! server's process, or a `--worker` process on the same database — runs
//! it: one `INSERT .. SELECT` of a row per follower into `notifications`.
//! Delivery is at least once (a worker that dies after the insert and
//! before marking the job done leaves it to run again), so the insert skips
//! rows that exist (`ON CONFLICT DO NOTHING` on the unique
//! `(user_id, article_id)`): a second run adds nothing. The followers are
//! those at the time the job runs, usually milliseconds after the commit.
//!
//! `GET /api/notifications` (a token is required) lists the signed-in
//! user's newest 100.

use kiln::prelude::*;
use kiln::tasks::{Handlers, Job, Tasks};
use serde::{Deserialize, Serialize};

use crate::auth::Claims;
use crate::db::{Database, Read, Tx, on};
use crate::error::ApiError;
use crate::model::now;

/// The outbox job's name.
pub(crate) const NOTIFY_FOLLOWERS: &str = "notify_followers";

/// The job's payload: the article that was published.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct NotifyFollowers {
    pub(crate) article_id: i64,
}

/// Enqueues the notification of `article_id`'s followers in `tx`.
pub(crate) async fn enqueue(tasks: &Tasks, tx: &mut Tx, article_id: i64) -> Result<(), ApiError> {
    let job = Job::new(NOTIFY_FOLLOWERS, &NotifyFollowers { article_id }).map_err(|e| {
        tracing::error!(target: "conduit", error = %e, "job payload not serialized");
        ApiError(Error::internal())
    })?;
    tx.enqueue(tasks, job).await?;
    Ok(())
}

/// The job: a notification for every follower of the article's author who
/// has none for it yet; how many were written. Nothing when the article
/// was deleted since.
pub(crate) async fn notify_followers(
    db: &Database,
    job: &NotifyFollowers,
) -> Result<u64, sqlx::Error> {
    let mut conn = db.acquire().await?;
    // SQLite reads `ON CONFLICT` after a `SELECT` as an upsert only when the
    // `SELECT` has a `WHERE`: it does.
    let written = on!(conn.conn(), c => sqlx::query(
        "INSERT INTO notifications (user_id, article_id, created_at) \
         SELECT f.follower_id, a.id, $2 FROM articles a JOIN follows f ON f.followee_id = a.author_id \
         WHERE a.id = $1 \
         ON CONFLICT (user_id, article_id) DO NOTHING",
    )
    .bind(job.article_id)
    .bind(now())
    .execute(&mut *c)
    .await
    .map(|done| done.rows_affected()))?;
    tracing::info!(target: "conduit", article = job.article_id, written, "followers notified");
    Ok(written)
}

/// The jobs a Conduit worker runs.
pub(crate) fn handlers(db: &Database) -> Handlers {
    let db = db.clone();
    Handlers::new().on(NOTIFY_FOLLOWERS, move |job: NotifyFollowers| {
        let db = db.clone();
        async move { notify_followers(&db, &job).await.map(drop) }
    })
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: String,
    slug: String,
    title: String,
    author: String,
}

/// One notification: which article, by whom, and when it was written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Notification {
    id: i64,
    created_at: String,
    article: ArticleRef,
}

/// The article a notification is about.
#[derive(Serialize)]
pub(crate) struct ArticleRef {
    slug: String,
    title: String,
    author: String,
}

/// `{"notifications": [...]}`, newest first.
#[derive(Serialize)]
pub(crate) struct NotificationsBody {
    notifications: Vec<Notification>,
}

/// `GET /api/notifications`: the signed-in user's newest 100.
#[handler]
pub(crate) async fn list(
    read: &mut Read,
    claims: &Claims,
) -> Result<Json<NotificationsBody>, ApiError> {
    let rows: Vec<Row> = on!(read.conn(), c => sqlx::query_as(
        "SELECT n.id, n.created_at, a.slug, a.title, u.username AS author \
         FROM notifications n JOIN articles a ON a.id = n.article_id JOIN users u ON u.id = a.author_id \
         WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT 100",
    )
    .bind(claims.uid)
    .fetch_all(&mut *c)
    .await)?;
    let notifications = rows
        .into_iter()
        .map(|r| Notification {
            id: r.id,
            created_at: r.created_at,
            article: ArticleRef {
                slug: r.slug,
                title: r.title,
                author: r.author,
            },
        })
        .collect();
    Ok(Json(NotificationsBody { notifications }))
}
