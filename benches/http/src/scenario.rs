//! The scenarios: which server to start, which requests to send and what the
//! reference response to each one is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cache;
use super::files;
use super::fixtures::{
    self, DEPTH_HEADERS, DEPTH_KEY, HELLO, JSON, ORIGIN, REQUEST_ID, SECURITY_HEADERS,
    SESSION_HEADER, TEXT,
};
use super::ratelimit::Limiter;
use super::tfb::DbKind;

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
fn tasks(kind: DbKind) -> Case {
    db_case(
        Scenario::Tasks,
        kind,
        vec![
            get("hello", "/hello", &[], text(HELLO)),
            get("spawn", "/spawn", &[], status_only(202)),
            get("enqueue", "/enqueue", &[], status_only(201)),
        ],
    )
}

/// The `cache` scenario: the static route, then the expensive one as it is
/// and cached (both must answer the expensive handler's body).
fn cache_case() -> Case {
    let body = cache::body();
    Case {
        scenario: Scenario::Cache,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            get("hello", "/hello", &[], text(HELLO)),
            get("uncached", "/uncached", &[], text(body)),
            get("cached", "/cached", &[], text(body)),
        ],
        checks: vec![get("cached-again", "/cached", &[], text(body))],
    }
}

/// The `ratelimit-redis` scenario with one limiter.
fn ratelimit(limiter: Limiter) -> Case {
    Case {
        scenario: Scenario::RatelimitRedis,
        variant: Some(format!("limiter={limiter}")),
        server_args: vec!["--limiter".into(), limiter.name().into()],
        endpoints: vec![get("hello", "/", &[], text(HELLO))],
        checks: Vec::new(),
    }
}

/// What every TFB response is checked for here; [`tfb::verify`] checks the rest.
fn tfb_expect() -> Expect {
    Expect {
        status: 200,
        body: None,
        headers: ["server", "date", "content-type"]
            .into_iter()
            .map(|h| (h.to_owned(), HeaderRule::Present))
            .collect(),
    }
}

fn db_case(scenario: Scenario, kind: DbKind, endpoints: Vec<Request>) -> Case {
    Case {
        scenario,
        variant: Some(format!("db={}", kind.name())),
        server_args: vec!["--db".into(), kind.name().into()],
        endpoints,
        checks: Vec::new(),
    }
}

/// The `db` scenario on one database: TFB's seven test types (`queries`,
/// `updates` and `cached-queries` at 20 rows).
fn db(kind: DbKind) -> Case {
    let endpoints = [
        ("json", "/json"),
        ("plaintext", "/plaintext"),
        ("db", "/db"),
        ("queries", "/queries?queries=20"),
        ("fortunes", "/fortunes"),
        ("updates", "/updates?queries=20"),
        ("cached-queries", "/cached-queries?count=20"),
    ]
    .map(|(name, path)| get(name, path, &[], tfb_expect()));
    db_case(Scenario::Db, kind, endpoints.into())
}

/// The `tx` scenario on one database.
fn tx(kind: DbKind) -> Case {
    db_case(
        Scenario::Tx,
        kind,
        vec![get("tx", "/tx", &[], tfb_expect())],
    )
}

fn files() -> Case {
    let mut endpoints = Vec::new();
    for (name, size) in files::FILES {
        let short = name.trim_end_matches(".bin");
        let path = format!("/files/{name}");
        let full = Expect {
            status: 200,
            body: None,
            headers: vec![
                ("content-length".into(), HeaderRule::Exact(size.to_string())),
                (
                    "content-type".into(),
                    HeaderRule::Exact(files::OCTETS.into()),
                ),
                (
                    "last-modified".into(),
                    HeaderRule::Exact(files::MTIME_HTTP.into()),
                ),
            ],
        };
        endpoints.push(get(&format!("file-{short}"), &path, &[], full));
        endpoints.push(get(
            &format!("file-{short}-304"),
            &path,
            &[("if-modified-since", files::MTIME_HTTP)],
            status_only(304),
        ));
    }
    Case {
        scenario: Scenario::Files,
        variant: None,
        server_args: Vec::new(),
        endpoints,
        checks: vec![get("missing", "/files/nope.bin", &[], status_only(404))],
    }
}

fn compression() -> Case {
    let encoded = |coding: &str| Expect {
        status: 200,
        body: None,
        headers: vec![
            ("content-encoding".into(), HeaderRule::Exact(coding.into())),
            ("content-type".into(), HeaderRule::Exact(JSON.into())),
            (
                "vary".into(),
                HeaderRule::HasToken("accept-encoding".into()),
            ),
        ],
    };
    let mut plain = json_text(&files::BIG_JSON);
    plain
        .headers
        .push(("content-encoding".into(), HeaderRule::Absent));
    Case {
        scenario: Scenario::Compression,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            get(
                "json-gzip",
                "/json-100k",
                &[("accept-encoding", "gzip")],
                encoded("gzip"),
            ),
            get(
                "json-br",
                "/json-100k",
                &[("accept-encoding", "br")],
                encoded("br"),
            ),
        ],
        checks: vec![get("json-identity", "/json-100k", &[], plain)],
    }
}

fn json_text(body: &str) -> Expect {
    Expect {
        status: 200,
        body: Some(body.to_owned()),
        headers: vec![("content-type".into(), HeaderRule::Exact(JSON.into()))],
    }
}

fn basic() -> Case {
    let search = fixtures::Search {
        q: "rust".into(),
        limit: 10,
    };
    Case {
        scenario: Scenario::Basic,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            get("hello", "/", &[], text(HELLO)),
            get("json", "/json", &[], json(&fixtures::MESSAGE)),
            get("user", "/users/42", &[], json(&fixtures::User::new(42))),
            get("search", "/search?q=rust&limit=10", &[], json(&search)),
        ],
        checks: vec![get("not-found", "/nope", &[], status_only(404))],
    }
}

/// The headers every `middleware` request carries (the token is added by
/// [`middleware_case`]).
fn middleware_expect(body: &str, request_id: HeaderRule) -> Expect {
    let mut e = text(body);
    e.headers.extend([
        (
            "access-control-allow-origin".into(),
            HeaderRule::Exact(ORIGIN.into()),
        ),
        ("vary".into(), HeaderRule::HasToken("origin".into())),
        (
            "access-control-allow-credentials".into(),
            HeaderRule::Absent,
        ),
        (REQUEST_ID.into(), request_id),
    ]);
    e.headers.extend(
        SECURITY_HEADERS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), HeaderRule::Exact((*v).to_owned()))),
    );
    e
}

fn middleware() -> Case {
    middleware_case(&fixtures::bench_token())
}

/// The `middleware` case with a given bearer token.
#[must_use]
pub fn middleware_case(token: &str) -> Case {
    let bearer = format!("Bearer {token}");
    let common: [(&str, &str); 2] = [("origin", ORIGIN), ("authorization", &bearer)];
    let protected = fixtures::protected_body(fixtures::JWT_SUB);
    let mut unauthorized = status_only(401);
    unauthorized.headers.push((
        "www-authenticate".into(),
        HeaderRule::HasToken("bearer".into()),
    ));
    Case {
        scenario: Scenario::Middleware,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            get(
                "public",
                "/",
                &common,
                middleware_expect(HELLO, HeaderRule::Present),
            ),
            get(
                "protected",
                "/protected",
                &common,
                middleware_expect(&protected, HeaderRule::Present),
            ),
        ],
        checks: vec![
            get(
                "request-id-propagated",
                "/",
                &[("origin", ORIGIN), (REQUEST_ID, "bench-req-1")],
                middleware_expect(HELLO, HeaderRule::Exact("bench-req-1".into())),
            ),
            get(
                "protected-without-token",
                "/protected",
                &[("origin", ORIGIN)],
                unauthorized,
            ),
            get(
                "protected-bad-token",
                "/protected",
                &[("origin", ORIGIN), ("authorization", "Bearer a.b.c")],
                status_only(403),
            ),
        ],
    }
}

fn depth(n: usize) -> Case {
    let mut expect = text(HELLO);
    expect.headers.extend(
        DEPTH_HEADERS[..n]
            .iter()
            .map(|h| ((*h).to_owned(), HeaderRule::Exact("1".into()))),
    );
    expect.headers.extend(
        DEPTH_HEADERS[n..]
            .iter()
            .map(|h| ((*h).to_owned(), HeaderRule::Absent)),
    );
    Case {
        scenario: Scenario::MiddlewareDepth,
        variant: Some(format!("depth={n}")),
        server_args: vec!["--depth".into(), n.to_string()],
        endpoints: vec![get("hello", "/", &[(DEPTH_KEY, "secret")], expect)],
        checks: vec![get("missing-key", "/", &[], status_only(403))],
    }
}

fn di() -> Case {
    let config = fixtures::Config::default();
    let reply = fixtures::DiReply {
        app: &config.app,
        greeting: &config.greeting,
        user: "ada",
        item: "item-7",
    };
    Case {
        scenario: Scenario::Di,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![get(
            "di",
            "/di?id=7",
            &[(SESSION_HEADER, "ada")],
            json(&reply),
        )],
        checks: vec![
            get("no-session", "/di?id=7", &[], status_only(401)),
            get(
                "bad-id",
                "/di?id=x",
                &[(SESSION_HEADER, "ada")],
                status_only(400),
            ),
            get(
                "unknown-item",
                "/di?id=1000",
                &[(SESSION_HEADER, "ada")],
                status_only(404),
            ),
        ],
    }
}

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
