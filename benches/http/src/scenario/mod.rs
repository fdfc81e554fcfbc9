//! The scenarios: which server to start, which requests to send and what the
//! reference response to each one is. The cases are built per family:
//! `serving` (basic, middleware, depth, DI) and `services` (databases, files,
//! caches, tasks).

mod services;
mod serving;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::fixtures::{JSON, TEXT};
use super::ratelimit::Limiter;
use super::tfb::DbKind;
use services::{cache_case, compression, db, files, ratelimit, tasks, tx};
pub use serving::middleware_case;
use serving::{basic, depth, di, middleware};

/// A benchmark scenario (the server's `--scenario`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Hello, JSON, path parameter, query string.
    Basic,
    /// The full built-in middleware stack, public and JWT-protected routes.
    Middleware,
    /// `GET /` through N trivial middleware.
    MiddlewareDepth,
    /// A handler with three singletons and two request-scoped values.
    Di,
    /// Static files of 1 KiB, 64 KiB and 10 MiB, fetched and revalidated (304).
    Files,
    /// A 100 KiB JSON body compressed with gzip and with brotli.
    Compression,
    /// TechEmpower's test types on Postgres and on SQLite (`tfb`).
    Db,
    /// A transaction that begins, runs `SELECT 1` and commits: kiln's `Tx`
    /// against the same by hand (issue 11).
    Tx,
    /// A handler costing about 1 ms of CPU, as it is and through a response
    /// cache, beside a static `/hello` (issue 14).
    Cache,
    /// `GET /` without a limiter, behind the in-process one and behind the
    /// Redis one (issue 14).
    RatelimitRedis,
    /// A job spawned in process and one enqueued in the request's
    /// transaction, and how long each waits to start (issue 14).
    Tasks,
    /// `Valid<Json<T>>` of a nested 20-field payload, valid (200) and
    /// invalid (422), against garde by hand (issue 12).
    Validation,
    /// Three calls to a local upstream (5 ms each) awaited concurrently and
    /// sequentially, and blocking work through `spawn_blocking` (issue 12).
    Async,
    /// Conduit's list, get, create and favorite: kiln's `examples/conduit`
    /// against axum + sqlx, on Postgres and on SQLite (issue 12).
    Realworld,
    /// Create-order under contention: kiln's `examples/shop` against axum +
    /// sqlx and actix-web + sqlx, on Postgres and on SQLite (issue 12).
    Shop,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 15] = [
        Scenario::Basic,
        Scenario::Middleware,
        Scenario::MiddlewareDepth,
        Scenario::Di,
        Scenario::Files,
        Scenario::Compression,
        Scenario::Db,
        Scenario::Tx,
        Scenario::Cache,
        Scenario::RatelimitRedis,
        Scenario::Tasks,
        Scenario::Validation,
        Scenario::Async,
        Scenario::Realworld,
        Scenario::Shop,
    ];

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Basic => "basic",
            Scenario::Middleware => "middleware",
            Scenario::MiddlewareDepth => "middleware-depth",
            Scenario::Di => "di",
            Scenario::Files => "files",
            Scenario::Compression => "compression",
            Scenario::Db => "db",
            Scenario::Tx => "tx",
            Scenario::Cache => "cache",
            Scenario::RatelimitRedis => "ratelimit-redis",
            Scenario::Tasks => "tasks",
            Scenario::Validation => "validation",
            Scenario::Async => "async",
            Scenario::Realworld => "realworld",
            Scenario::Shop => "shop",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown scenario `{s}` (basic, middleware, middleware-depth, di, files, compression, db, tx, cache, ratelimit-redis, tasks, validation, async, realworld, shop)"
                )
            })
    }
}

/// The middleware counts of the `middleware-depth` scenario.
pub const DEPTHS: [usize; 4] = [1, 5, 10, 20];

/// How a response header is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderRule {
    /// Exactly this value.
    Exact(String),
    /// Present with a non-empty value.
    Present,
    /// A comma-separated list containing this token (case-insensitive).
    HasToken(String),
    /// Not present.
    Absent,
}

/// The reference response to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The status code.
    pub status: u16,
    /// The exact body, or `None` to not compare it (error bodies differ between frameworks).
    pub body: Option<String>,
    /// Header rules, by lowercase name.
    pub headers: Vec<(String, HeaderRule)>,
}

/// One request and its reference response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// A short name used in results (`hello`, `json`, ...).
    pub name: String,
    /// Path and query.
    pub path: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// A body: the request is a `POST` when there is one, else a `GET`.
    pub body: Option<String>,
    /// The reference response.
    pub expect: Expect,
}

/// One server configuration of a scenario: what to start, what to load and
/// what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The scenario.
    pub scenario: Scenario,
    /// The variant (`depth=5`), if the scenario has several.
    pub variant: Option<String>,
    /// Extra server arguments (`--depth 5`).
    pub server_args: Vec<String>,
    /// The endpoints that are measured (their responses are checked too).
    pub endpoints: Vec<Request>,
    /// Requests that are only checked, not measured.
    pub checks: Vec<Request>,
}

impl Case {
    /// `basic`, `middleware-depth/depth=5`, ...
    #[must_use]
    pub fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{v}", self.scenario),
            None => self.scenario.to_string(),
        }
    }
}

fn text(body: &str) -> Expect {
    Expect {
        status: 200,
        body: Some(body.to_owned()),
        headers: vec![("content-type".into(), HeaderRule::Exact(TEXT.into()))],
    }
}

fn json<T: serde::Serialize>(value: &T) -> Expect {
    Expect {
        status: 200,
        body: Some(serde_json::to_string(value).expect("fixtures serialize")),
        headers: vec![("content-type".into(), HeaderRule::Exact(JSON.into()))],
    }
}

fn get(name: &str, path: &str, headers: &[(&str, &str)], expect: Expect) -> Request {
    Request {
        name: name.to_owned(),
        path: path.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: None,
        expect,
    }
}

fn status_only(status: u16) -> Expect {
    Expect {
        status,
        body: None,
        headers: Vec::new(),
    }
}

fn json_text(body: &str) -> Expect {
    Expect {
        status: 200,
        body: Some(body.to_owned()),
        headers: vec![("content-type".into(), HeaderRule::Exact(JSON.into()))],
    }
}

/// The cases of a scenario.
#[must_use]
pub fn cases(scenario: Scenario) -> Vec<Case> {
    match scenario {
        Scenario::Basic => vec![basic()],
        Scenario::Middleware => vec![middleware()],
        Scenario::MiddlewareDepth => DEPTHS.iter().map(|&d| depth(d)).collect(),
        Scenario::Di => vec![di()],
        Scenario::Files => vec![files()],
        Scenario::Compression => vec![compression()],
        Scenario::Db => [DbKind::Postgres, DbKind::Sqlite].map(db).into(),
        Scenario::Tx => [DbKind::Postgres, DbKind::Sqlite].map(tx).into(),
        Scenario::Cache => vec![cache_case()],
        Scenario::RatelimitRedis => Limiter::ALL.map(ratelimit).into(),
        Scenario::Tasks => [DbKind::Postgres, DbKind::Sqlite].map(tasks).into(),
        Scenario::Validation => vec![super::validation::case()],
        Scenario::Async => vec![super::upstream::case()],
        Scenario::Realworld => [DbKind::Postgres, DbKind::Sqlite]
            .map(super::realworld::case)
            .into(),
        Scenario::Shop => [DbKind::Postgres, DbKind::Sqlite]
            .map(super::shop::case)
            .into(),
    }
}

/// The `tasks` scenario on one database (the outbox's).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(s.name().parse::<Scenario>().unwrap(), s);
        }
        assert!("nope".parse::<Scenario>().is_err());
    }

    #[test]
    fn every_case_has_endpoints() {
        for s in Scenario::ALL {
            for c in cases(s) {
                assert!(!c.endpoints.is_empty(), "{}", c.label());
            }
        }
    }
}
