-- One row per follower of an article's author, written by the `notify_followers`
-- outbox job after the article was published. The unique pair makes the job
-- idempotent: a retried run (at-least-once delivery) adds nothing.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, article_id)
);
CREATE INDEX notifications_article ON notifications (article_id);
