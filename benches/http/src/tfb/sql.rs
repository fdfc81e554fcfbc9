//! The queries of the sqlx servers (kiln, axum, actix-web), one module per
//! database: the same statements and the same access pattern (one
//! connection per request, one `SELECT` per row) for all three, so they
//! differ only in their framework. Statements go through sqlx's
//! per-connection statement cache (prepared once per connection).

use super::{Fortune, World};

/// The statements both databases understand (`$n` parameters are valid in
/// SQLite too).
pub mod text {
    /// One `World` row.
    pub const WORLD: &str = "SELECT id, randomnumber FROM world WHERE id = $1";
    /// Every `Fortune`.
    pub const FORTUNES: &str = "SELECT id, message FROM fortune";
    /// One row's new number (SQLite's updates).
    pub const UPDATE_ONE: &str = "UPDATE world SET randomnumber = $1 WHERE id = $2";
    /// Postgres: a whole batch in one statement, from two arrays.
    pub const UPDATE_BATCH: &str = "UPDATE world SET randomnumber = u.r \
         FROM (SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS u \
         WHERE world.id = u.id";
    /// The `tx` endpoint's statement.
    pub const SELECT_1: &str = "SELECT 1";
}

macro_rules! common {
    ($conn:ty) => {
        /// One `World` row by id.
        ///
        /// # Errors
        /// What sqlx reports.
        pub async fn world(conn: &mut $conn, id: i32) -> Result<World, sqlx::Error> {
            let (id, random_number): (i32, i32) =
                sqlx::query_as(text::WORLD).bind(id).fetch_one(conn).await?;
            Ok(World { id, random_number })
        }

        /// `n` random rows, one query each.
        ///
        /// # Errors
        /// What sqlx reports.
        pub async fn worlds(conn: &mut $conn, n: usize) -> Result<Vec<World>, sqlx::Error> {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(world(&mut *conn, super::super::random_id()).await?);
            }
            Ok(out)
        }

        /// Every fortune, as stored.
        ///
        /// # Errors
        /// What sqlx reports.
        pub async fn fortunes(conn: &mut $conn) -> Result<Vec<Fortune>, sqlx::Error> {
            let rows: Vec<(i32, String)> = sqlx::query_as(text::FORTUNES).fetch_all(conn).await?;
            Ok(rows
                .into_iter()
                .map(|(id, message)| Fortune { id, message })
                .collect())
        }

        /// `SELECT 1` (the `tx` endpoint).
        ///
        /// # Errors
        /// What sqlx reports.
        pub async fn select_1(conn: &mut $conn) -> Result<i32, sqlx::Error> {
            let (one,): (i32,) = sqlx::query_as(text::SELECT_1).fetch_one(conn).await?;
            Ok(one)
        }

        /// Every row, for the cache.
        ///
        /// # Errors
        /// What sqlx reports.
        pub async fn all_worlds(conn: &mut $conn) -> Result<Vec<World>, sqlx::Error> {
            let rows: Vec<(i32, i32)> = sqlx::query_as("SELECT id, randomnumber FROM world")
                .fetch_all(conn)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, random_number)| World { id, random_number })
                .collect())
        }
    };
}

/// Postgres.
pub mod pg {
    use sqlx::PgConnection;

    use super::{Fortune, World, text};

    common!(PgConnection);

    /// Writes a batch (sorted by id) in one statement.
    ///
    /// # Errors
    /// What sqlx reports.
    pub async fn update(conn: &mut PgConnection, sorted: &[World]) -> Result<(), sqlx::Error> {
        let ids: Vec<i32> = sorted.iter().map(|w| w.id).collect();
        let numbers: Vec<i32> = sorted.iter().map(|w| w.random_number).collect();
        sqlx::query(text::UPDATE_BATCH)
            .bind(ids)
            .bind(numbers)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// SQLite.
pub mod lite {
    use sqlx::SqliteConnection;

    use super::{Fortune, World, text};

    common!(SqliteConnection);

    /// Writes a batch row by row (SQLite has no arrays; inside one
    /// transaction on the one writer these are in-process calls).
    ///
    /// # Errors
    /// What sqlx reports.
    pub async fn update(conn: &mut SqliteConnection, sorted: &[World]) -> Result<(), sqlx::Error> {
        for w in sorted {
            sqlx::query(text::UPDATE_ONE)
                .bind(w.random_number)
                .bind(w.id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// The pools of the axum and actix-web servers, set up as kiln's `Db` sets
/// up its own, so no server gets a different tuning: Postgres, one pool of
/// [`pool_size`](super::pool_size) connections; SQLite, one writer
/// connection (WAL, `synchronous = NORMAL`, foreign keys, 5 s busy timeout)
/// and [`SQLITE_READERS`](super::SQLITE_READERS) read-only readers.
pub mod pools {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::postgres::{PgPool, PgPoolOptions};
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    };

    /// The Postgres pool.
    ///
    /// # Errors
    /// When the server cannot be reached.
    pub async fn pg(url: &str) -> Result<PgPool, sqlx::Error> {
        PgPoolOptions::new()
            .max_connections(super::super::pool_size())
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
    }

    /// SQLite's writer and reader pools.
    #[derive(Debug, Clone)]
    pub struct Lite {
        /// One connection; transactions begin with `BEGIN IMMEDIATE`.
        pub write: SqlitePool,
        /// Read-only connections.
        pub read: SqlitePool,
    }

    /// The SQLite pools.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub async fn lite(url: &str) -> Result<Lite, sqlx::Error> {
        let base = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(
                base.clone()
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal),
            )
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(super::super::SQLITE_READERS)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(base.read_only(true))
            .await?;
        Ok(Lite { write, read })
    }
}
