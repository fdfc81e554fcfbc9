//! The cases of the service scenarios: tasks, cache, Redis rate limits,
//! databases and transactions, files and compression.

use super::{Case, Expect, HeaderRule, Request, Scenario, get, json_text, status_only, text};
use crate::cache;
use crate::files;
use crate::fixtures::{HELLO, JSON};
use crate::ratelimit::Limiter;
use crate::tfb::DbKind;

pub(super) fn tasks(kind: DbKind) -> Case {
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
pub(super) fn cache_case() -> Case {
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
pub(super) fn ratelimit(limiter: Limiter) -> Case {
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
pub(super) fn db(kind: DbKind) -> Case {
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
pub(super) fn tx(kind: DbKind) -> Case {
    db_case(
        Scenario::Tx,
        kind,
        vec![get("tx", "/tx", &[], tfb_expect())],
    )
}

pub(super) fn files() -> Case {
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

pub(super) fn compression() -> Case {
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
