//! [`Builder`]: pool sizes, timeouts, the statement cache, migrations and the
//! commit predicate, checked before anything connects.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use sqlx::migrate::Migrator;

use super::Db;
use super::backend::Backend;
use super::error::DbError;
use crate::Response;

/// The predicate that decides whether a [`Tx`](super::Tx) commits: it gets
/// the response the request produced.
pub type CommitIf = fn(&Response) -> bool;

/// The default [`CommitIf`]: commit when the status is below `400`.
#[must_use]
pub fn commit_below_400(res: &Response) -> bool {
    res.status().as_u16() < 400
}

/// Settings for [`Db`], from [`Db::builder`]. Every setter checks its value
/// when [`connect`](Builder::connect) runs and a nonsensical one fails with a
/// [`DbErrorKind::Config`](super::DbErrorKind::Config) error that names it.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use std::time::Duration;
/// use kiln::db::sqlite::Db;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let err = Db::builder("sqlite::memory:").max_connections(0).connect().await.unwrap_err();
/// assert!(err.to_string().contains("`max_connections` must be at least 1"), "{err}");
///
/// let db = Db::builder("sqlite::memory:")
///     .acquire_timeout(Duration::from_secs(2))
///     .statement_cache(200)
///     .connect()
///     .await
///     .unwrap();
/// # drop(db);
/// # });
/// # }
/// ```
#[must_use = "a builder does nothing until `connect` is awaited"]
pub struct Builder<B: Backend> {
    settings: Settings,
    migrations: Option<&'static Migrator>,
    commit_if: CommitIf,
    _backend: PhantomData<fn() -> B>,
}

/// What the builder collected; what a backend opens its pools with.
#[derive(Clone)]
pub struct Settings {
    pub url: String,
    /// The read pool's size for SQLite (the writer is always one
    /// connection), the pool's for Postgres.
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: how long a statement waits for a lock held by another
    /// process (another connection of this `Db` never holds it: one writer).
    pub busy_timeout: Duration,
    pub statement_cache: usize,
    /// A pooled connection idle at least this long is pinged before a
    /// request gets it; zero pings every time.
    pub ping_after_idle: Duration,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Settings")
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .field("statement_cache", &self.statement_cache)
            .field("ping_after_idle", &self.ping_after_idle)
            .finish_non_exhaustive()
    }
}

/// Defaults: a request waits at most 5 s for a connection (then `503`),
/// SQLite statements at most 5 s for another process's lock.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_CACHE: usize = 100;
/// Under load a connection is idle for microseconds and is not pinged;
/// after a quiet second it is, so one that died meanwhile is replaced.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
/// Past this, a setting is a unit mistake (`from_millis` meant), not a plan.
const MAX_WAIT: Duration = Duration::from_hours(1);

impl<B: Backend> Builder<B> {
    pub(crate) fn new(url: &str, max_connections: u32) -> Self {
        Builder {
            settings: Settings {
                url: url.to_owned(),
                max_connections,
                min_connections: 0,
                acquire_timeout: ACQUIRE_TIMEOUT,
                busy_timeout: BUSY_TIMEOUT,
                statement_cache: STATEMENT_CACHE,
                ping_after_idle: PING_AFTER_IDLE,
            },
            migrations: None,
            commit_if: commit_below_400,
            _backend: PhantomData,
        }
    }

    /// The most connections open at once: the read pool's for SQLite (the
    /// writer is always one connection), the pool's for Postgres. At least 1;
    /// default 4 for SQLite, 10 for Postgres.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.settings.max_connections = n;
        self
    }

    /// Connections kept open when idle (default 0); at most `max_connections`.
    pub fn min_connections(mut self, n: u32) -> Self {
        self.settings.min_connections = n;
        self
    }

    /// How long a request waits for a connection before it is answered `503`
    /// (default 5 s). Also bounds connecting to a server that does not answer.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.settings.acquire_timeout = timeout;
        self
    }

    /// Prepared statements each connection keeps (default 100; 0 turns the
    /// cache off).
    pub fn statement_cache(mut self, capacity: usize) -> Self {
        self.settings.statement_cache = capacity;
        self
    }

    /// How long a pooled connection may sit idle before it is pinged when a
    /// request takes it (default 1 s). A ping is a round trip to the
    /// database; sqlx's own default pings on every acquire, which on a busy
    /// server is one extra round trip per request. With 1 s, a connection
    /// that died while the server was quiet is found and replaced before a
    /// request sees it; one that dies while it is in steady use fails the
    /// request that uses it next (a `503`, the transaction never began),
    /// and the pool replaces it. `Duration::ZERO` pings every time.
    pub fn ping_after_idle(mut self, idle: Duration) -> Self {
        self.settings.ping_after_idle = idle;
        self
    }

    /// Migrations to run when [`connect`](Builder::connect) opens the
    /// database, typically `sqlx::migrate!()` (embedded at build time from
    /// `./migrations`). A failed one fails `connect` with an error naming the
    /// migration and its statement.
    pub fn migrations(mut self, migrator: &'static Migrator) -> Self {
        self.migrations = Some(migrator);
        self
    }

    /// Decides from the response whether a [`Tx`](super::Tx) commits
    /// (default: [`commit_below_400`]).
    pub fn commit_if(mut self, predicate: CommitIf) -> Self {
        self.commit_if = predicate;
        self
    }

    fn check(&self) -> Result<(), DbError> {
        let s = &self.settings;
        let scheme = s.url.split(':').next().unwrap_or_default();
        if !B::SCHEMES.contains(&scheme) {
            return Err(DbError::config(format!(
                "a {} database needs a URL starting with {}; got one starting with `{scheme}:`",
                B::LABEL,
                B::SCHEMES
                    .iter()
                    .map(|s| format!("`{s}:`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        if s.max_connections == 0 {
            return Err(DbError::config(
                "`max_connections` must be at least 1: a pool of none answers every request `503`",
            ));
        }
        if s.min_connections > s.max_connections {
            return Err(DbError::config(format!(
                "`min_connections` ({}) is more than `max_connections` ({})",
                s.min_connections, s.max_connections
            )));
        }
        for (name, d) in [
            ("acquire_timeout", s.acquire_timeout),
            ("busy_timeout", s.busy_timeout),
        ] {
            if d.is_zero() {
                return Err(DbError::config(format!(
                    "a zero `{name}` fails every request that has to wait at all; give a positive duration"
                )));
            }
            if d > MAX_WAIT {
                return Err(DbError::config(format!(
                    "`{name}` of {d:?} holds a request for over an hour; give seconds, not hours"
                )));
            }
        }
        if s.ping_after_idle > MAX_WAIT {
            return Err(DbError::config(format!(
                "`ping_after_idle` of {:?} lets a connection sit for over an hour unchecked; give seconds",
                s.ping_after_idle
            )));
        }
        Ok(())
    }

    pub(crate) fn busy_timeout_mut(&mut self) -> &mut Duration {
        &mut self.settings.busy_timeout
    }

    /// Checks the settings, opens the database and runs the migrations.
    ///
    /// # Errors
    /// A nonsensical setting, a URL for another backend, a database that
    /// cannot be opened or reached within the acquire timeout, a failed
    /// migration.
    pub async fn connect(self) -> Result<Db<B>, DbError> {
        self.check()?;
        let pools = B::open(&self.settings).await?;
        let db = Db::from_parts(pools, self.commit_if, self.settings.acquire_timeout);
        if let Some(m) = self.migrations {
            db.migrate(m).await?;
        }
        Ok(db)
    }
}
