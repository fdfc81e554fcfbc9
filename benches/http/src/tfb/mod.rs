//! TechEmpower Framework Benchmarks' test types (the `db` scenario): the
//! shared data model, parameter rules, fortunes page, cache and random ids
//! every peer uses, so the servers differ only in their framework.
//!
//! The rules followed are TFB's published requirements (its wiki and its
//! `toolset/test_types` verifiers): `World` has 10,000 rows with random
//! numbers in 1..=10000; `Fortune` has TFB's 12 rows; `queries`/`count` is
//! clamped to 1..=500 and anything that is not an integer counts as 1; each
//! row of `/queries` and `/updates` is its own `SELECT`; fortunes get one
//! more fortune at request time, are sorted by message in the app and
//! rendered with HTML escaping as UTF-8. [`verify`] checks a server against
//! those rules, [`setup`] makes the databases.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

pub mod html;
pub mod setup;
pub mod sql;
pub mod verify;

/// Rows in `World`.
pub const WORLD_ROWS: i32 = 10_000;
/// The most rows `/queries`, `/updates` and `/cached-queries` return.
pub const MAX_QUERIES: usize = 500;
/// The fortune added at request time.
pub const EXTRA_FORTUNE: &str = "Additional fortune added at request time.";
/// `content-type` of the fortunes page.
pub const HTML: &str = "text/html; charset=utf-8";
/// Environment variable with the database URL the `db` servers connect to.
pub const DB_URL_ENV: &str = "KILN_BENCH_DB_URL";
/// Environment variable overriding [`DEFAULT_POOL`].
pub const POOL_ENV: &str = "KILN_BENCH_DB_POOL";
/// Connections per Postgres pool, the same for every server (the hyper peer
/// opens this many pipelined clients). SQLite: one writer and this many readers
/// is too many for one core; it uses [`SQLITE_READERS`].
pub const DEFAULT_POOL: u32 = 16;
/// SQLite read connections of every server (kiln's default), beside one writer.
pub const SQLITE_READERS: u32 = 4;

/// TFB's 12 fortunes, by id.
pub const FORTUNES: [(i32, &str); 12] = [
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. \u{2014} Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

/// Which database a `db` server uses (`--db`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbKind {
    /// PostgreSQL.
    Postgres,
    /// SQLite, a file on local disk.
    Sqlite,
}

impl DbKind {
    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Postgres => "postgres",
            DbKind::Sqlite => "sqlite",
        }
    }
}

impl std::str::FromStr for DbKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "postgres" => Ok(DbKind::Postgres),
            "sqlite" => Ok(DbKind::Sqlite),
            other => Err(format!("unknown database `{other}` (postgres, sqlite)")),
        }
    }
}

/// The database URL from [`DB_URL_ENV`].
///
/// # Errors
/// When it is not set.
pub fn db_url() -> std::io::Result<String> {
    std::env::var(DB_URL_ENV).map_err(|_| {
        std::io::Error::other(format!("{DB_URL_ENV} is not set (the harness sets it)"))
    })
}

/// The pool size: [`POOL_ENV`] or [`DEFAULT_POOL`].
#[must_use]
pub fn pool_size() -> u32 {
    std::env::var(POOL_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_POOL)
}

/// A `World` row as TFB serializes it: `{"id":1,"randomNumber":42}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct World {
    /// 1..=10000.
    pub id: i32,
    /// 1..=10000.
    #[serde(rename = "randomNumber")]
    pub random_number: i32,
}

/// A `Fortune` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fortune {
    /// The id (0 for the one added at request time).
    pub id: i32,
    /// The message, unescaped.
    pub message: String,
}

/// A random id or random number, uniform in 1..=10000.
#[must_use]
pub fn random_id() -> i32 {
    fastrand::i32(1..=WORLD_ROWS)
}

/// TFB's `queries` (and `count`) rule on a raw query string: the value of
/// `name`, clamped to 1..=500; missing, empty or not an integer → 1.
#[must_use]
pub fn count(query: Option<&str>, name: &str) -> usize {
    let value = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='));
    match value.map(str::parse::<i64>) {
        Some(Ok(n)) => usize::try_from(n.clamp(1, 500)).unwrap_or(1),
        _ => 1,
    }
}

/// Adds the request-time fortune and sorts by message, as TFB requires the
/// app (not the database) to do.
pub fn finish_fortunes(fortunes: &mut Vec<Fortune>) {
    fortunes.push(Fortune {
        id: 0,
        message: EXTRA_FORTUNE.to_owned(),
    });
    fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
}

/// The fortunes page (see [`html`] for the escaping).
#[must_use]
pub fn fortunes_page(fortunes: &[Fortune]) -> String {
    let mut out = String::with_capacity(1200);
    out.push_str(
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\
         <tr><th>id</th><th>message</th></tr>",
    );
    for f in fortunes {
        let _ = write!(out, "<tr><td>{}</td><td>", f.id);
        html::escape_into(&mut out, &f.message);
        out.push_str("</td></tr>");
    }
    out.push_str("</table></body></html>");
    out
}

/// `World` rows cached in process for `/cached-queries`: a moka cache
/// filled from the database at startup, read by id.
#[derive(Clone)]
pub struct WorldCache {
    cache: moka::sync::Cache<i32, World>,
}

impl std::fmt::Debug for WorldCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorldCache")
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

impl WorldCache {
    /// A cache holding `rows`.
    #[must_use]
    pub fn new(rows: impl IntoIterator<Item = World>) -> Self {
        let cache = moka::sync::Cache::new(u64::try_from(WORLD_ROWS).unwrap_or(10_000));
        for w in rows {
            cache.insert(w.id, w);
        }
        WorldCache { cache }
    }

    /// `n` random rows.
    #[must_use]
    pub fn random(&self, n: usize) -> Vec<World> {
        (0..n)
            .filter_map(|_| self.cache.get(&random_id()))
            .collect()
    }
}

/// The rows to write back for `/updates`: every row gets a new random
/// number, and the batch is sorted by id (Postgres takes the row locks in
/// that order, so concurrent batches cannot deadlock).
#[must_use]
pub fn new_numbers(worlds: &mut [World]) -> Vec<World> {
    for w in worlds.iter_mut() {
        w.random_number = random_id();
    }
    let mut sorted = worlds.to_vec();
    sorted.sort_unstable_by_key(|w| w.id);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_follows_tfb() {
        assert_eq!(count(Some("queries=20"), "queries"), 20);
        assert_eq!(count(Some("queries=0"), "queries"), 1);
        assert_eq!(count(Some("queries=501"), "queries"), 500);
        assert_eq!(count(Some("queries=foo"), "queries"), 1);
        assert_eq!(count(Some("queries="), "queries"), 1);
        assert_eq!(count(None, "queries"), 1);
        assert_eq!(count(Some("x=3&count=7"), "count"), 7);
        assert_eq!(count(Some("count=-4"), "count"), 1);
    }

    #[test]
    fn fortunes_are_sorted_and_escaped() {
        let mut f: Vec<Fortune> = FORTUNES
            .iter()
            .map(|(id, m)| Fortune {
                id: *id,
                message: (*m).to_owned(),
            })
            .collect();
        finish_fortunes(&mut f);
        assert_eq!(f.len(), 13);
        assert_eq!(f[0].id, 11);
        assert_eq!(f[12].id, 12);
        let page = fortunes_page(&f);
        assert!(page.contains("<td>&lt;script&gt;alert(&quot;This"));
        assert!(!page.contains("<script>"));
        assert!(verify::fortunes_body(page.as_bytes()).is_ok());
    }
}
