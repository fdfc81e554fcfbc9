//! The `realworld` scenario (issue 12 §4): four endpoints of Conduit, the
//! RealWorld blog API, on SQLite and on Postgres. kiln's side is the real
//! `examples/conduit` binary; the peer is a Conduit subset in axum + sqlx
//! ([`axum`]) on the same schema with the same queries.
//!
//! Before timing, the harness gives each server a fresh database, then
//! through the API registers a user, logs in and publishes [`SEEDS`]
//! tagged articles ([`setup`]); then [`verify`] checks each endpoint's
//! response shape, and the static case is bound to the session's token
//! and slug ([`bind`]).
//!
//! - `list`: `GET /api/articles?limit=20`, with the token: kiln's Conduit
//!   serves anonymous lists from its response cache, so the token keeps
//!   both servers running the same two queries per request.
//! - `get`: `GET /api/articles/{slug}`, anonymous.
//! - `create`: `POST /api/articles`, a title unique per request (the wrk
//!   script replaces [`UNIQUE`], see [`super::wrk`]). Both enqueue
//!   Conduit's follower notification in the same transaction (kiln through
//!   its outbox, the peer into a jobs table of the same shape: one more
//!   `INSERT`); no worker runs (`--no-worker`), so running the jobs is not
//!   counted.
//! - `favorite`: `POST /api/articles/{slug}/favorite` of one seed article,
//!   over and over (after the first, `ON CONFLICT DO NOTHING`).

use serde_json::{Value, json};

use super::check::{IsType, json_check as check, json_shape as shape};
use super::client;
use super::scenario::{Case, Expect, HeaderRule, Request, Scenario};
use super::tfb::DbKind;

pub mod axum;
mod jobs;
pub mod report;

/// Seed articles published before timing.
pub const SEEDS: usize = 100;
/// Where the token goes in a case's header values (see [`bind`]).
pub const TOKEN: &str = "@TOKEN@";
/// Where the seed article's slug goes in a case's paths (see [`bind`]).
pub const SLUG: &str = "@SLUG@";
/// Replaced by a fresh string for every request of a timed run.
pub const UNIQUE: &str = "@UNIQUE@";
/// The environment variable with the Conduit's database URL (kiln's `conduit` reads `DATABASE_URL`).
pub const CONDUIT_DB_ENV: &str = "DATABASE_URL";
/// A rate far above what one machine's wrk sends: Conduit's limiter stays
/// on the path, never in the way.
pub const RATE_PER_SECOND: &str = "100000000";
/// The HMAC secret both servers sign with (kiln's `conduit` wants 32+ bytes).
pub const JWT_SECRET: &str = "kiln-http-suite realworld secret, 32+ bytes";
/// The environment variable with the peer's JWT secret.
pub const JWT_SECRET_ENV: &str = "CONDUIT_JWT_SECRET";

const USER: &str = "bench";
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "bench-password";

/// The body of a create: [`UNIQUE`] in the title makes each one distinct.
#[must_use]
pub fn article_body(title: &str) -> String {
    json!({"article": {
        "title": title,
        "description": "a benchmark article",
        "body": "Some text, enough to look like an article. ".repeat(8),
        "tagList": ["bench", "kiln"],
    }})
    .to_string()
}

fn request(name: &str, path: &str, status: u16, token: bool, body: Option<String>) -> Request {
    let mut headers = Vec::new();
    if token {
        headers.push(("authorization".to_owned(), format!("Token {TOKEN}")));
    }
    if body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    Request {
        name: name.to_owned(),
        path: path.to_owned(),
        headers,
        body,
        expect: Expect {
            status,
            // Timestamps, slugs and counts differ: [`verify`] checks the shapes.
            body: None,
            headers: vec![(
                "content-type".to_owned(),
                HeaderRule::HasToken("application/json".to_owned()),
            )],
        },
    }
}

/// The case on one database, with [`TOKEN`] and [`SLUG`] unbound.
#[must_use]
pub fn case(kind: DbKind) -> Case {
    let create = article_body(&format!("Bench article {UNIQUE}"));
    Case {
        scenario: Scenario::Realworld,
        variant: Some(format!("db={}", kind.name())),
        server_args: vec!["--db".into(), kind.name().into()],
        endpoints: vec![
            request("list", "/api/articles?limit=20", 200, true, None),
            request("get", &format!("/api/articles/{SLUG}"), 200, false, None),
            request("create", "/api/articles", 201, true, Some(create)),
            request(
                "favorite",
                &format!("/api/articles/{SLUG}/favorite"),
                200,
                true,
                Some(String::new()),
            ),
        ],
        checks: vec![
            request(
                "create-without-token",
                "/api/articles",
                401,
                false,
                Some(article_body("No token")),
            ),
            request("missing", "/api/articles/no-such-slug", 404, false, None),
        ],
    }
}

/// What [`setup`] made: the user's token and one seed article's slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The JWT for `Authorization: Token ...`.
    pub token: String,
    /// A seed article.
    pub slug: String,
}

/// `case` with the session's token and slug in place of the placeholders.
#[must_use]
pub fn bind(case: &Case, s: &Session) -> Case {
    let fill = |v: &str| v.replace(TOKEN, &s.token).replace(SLUG, &s.slug);
    let mut out = case.clone();
    for r in out.endpoints.iter_mut().chain(out.checks.iter_mut()) {
        r.path = fill(&r.path);
        for (_, v) in &mut r.headers {
            *v = fill(v);
        }
    }
    out
}

fn call(
    port: u16,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, Value), String> {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(t) = token {
        headers.push(("authorization".to_owned(), format!("Token {t}")));
    }
    let res = client::send(port, path, &headers, body).map_err(|e| format!("{path}: {e}"))?;
    let value = serde_json::from_slice(&res.body).unwrap_or(Value::Null);
    Ok((res.status, value))
}

fn want(what: &str, got: (u16, Value), statuses: &[u16]) -> Result<Value, String> {
    if statuses.contains(&got.0) {
        Ok(got.1)
    } else {
        Err(format!(
            "{what}: status {} (want {statuses:?}): {}",
            got.0, got.1
        ))
    }
}

/// Registers the user, logs in and publishes [`SEEDS`] articles (tags
/// `bench` and one of ten `tag<n>`), through the API of the server on `port`.
///
/// # Errors
/// The first request that did not succeed.
pub fn setup(port: u16) -> Result<Session, String> {
    let user = json!({"user": {"username": USER, "email": EMAIL, "password": PASSWORD}});
    want(
        "register",
        call(port, "/api/users", None, Some(&user.to_string()))?,
        &[200, 201],
    )?;
    let login = json!({"user": {"email": EMAIL, "password": PASSWORD}});
    let v = want(
        "login",
        call(port, "/api/users/login", None, Some(&login.to_string()))?,
        &[200],
    )?;
    let token = v["user"]["token"]
        .as_str()
        .ok_or_else(|| format!("login: no user.token in {v}"))?
        .to_owned();
    let mut slug = None;
    for i in 0..SEEDS {
        let body = json!({"article": {
            "title": format!("Seed article {i}"),
            "description": format!("seed {i}"),
            "body": "Seed text. ".repeat(20),
            "tagList": ["bench", format!("tag{}", i % 10)],
        }});
        let v = want(
            "seed article",
            call(port, "/api/articles", Some(&token), Some(&body.to_string()))?,
            &[201],
        )?;
        slug = v["article"]["slug"].as_str().map(str::to_owned);
    }
    let slug = slug.ok_or("seed article: no article.slug")?;
    Ok(Session { token, slug })
}

/// The set-up, the checks, and `case` bound to the session, for the server on `port`.
///
/// # Errors
/// What [`setup`] or [`verify`] found.
pub fn prepare(port: u16, case: &Case) -> Result<Case, String> {
    let session = setup(port)?;
    verify(port, &session)?;
    Ok(bind(case, &session))
}

/// The environment and command line of a `realworld` server on `port`:
/// both sign with [`JWT_SECRET`] and rate-limit at [`RATE_PER_SECOND`];
/// kiln's `conduit` (when `conduit`) takes its own variables and runs
/// without its worker (the peer has none either: the jobs both enqueue stay
/// pending).
pub fn launch(
    conduit: bool,
    port: u16,
    db_url: Option<&str>,
    env: &mut Vec<(&'static str, String)>,
    args: &mut Vec<String>,
) {
    env.push((JWT_SECRET_ENV, JWT_SECRET.into()));
    env.push(("CONDUIT_RATE_PER_SECOND", RATE_PER_SECOND.into()));
    if conduit {
        env.extend(db_url.map(|u| (CONDUIT_DB_ENV, u.to_owned())));
        env.push(("CONDUIT_ADDR", format!("127.0.0.1:{port}")));
        *args = vec!["--no-worker".into()];
    }
}

/// RealWorld's article shape: every field, of the right JSON type.
fn article_shape(a: &Value) -> Result<(), String> {
    let fields: [(&str, IsType); 9] = [
        ("slug", Value::is_string),
        ("title", Value::is_string),
        ("description", Value::is_string),
        ("body", Value::is_string),
        ("tagList", Value::is_array),
        ("createdAt", Value::is_string),
        ("updatedAt", Value::is_string),
        ("favorited", Value::is_boolean),
        ("favoritesCount", Value::is_i64),
    ];
    shape("article", a, &fields)?;
    let author = &a["author"];
    if !author["username"].is_string() || !author["following"].is_boolean() {
        return Err(format!("article.author is not a profile: {author}"));
    }
    Ok(())
}

/// Checks each endpoint's response (status and JSON shape, and what the
/// session implies: 20 of at least [`SEEDS`], the slug asked for, the title
/// sent, favorited) on the server on `port`.
///
/// # Errors
/// Every mismatch, one per line.
pub fn verify(port: u16, s: &Session) -> Result<(), String> {
    let t = Some(s.token.as_str());
    let mut failures = Vec::new();
    let mut run = |name: &str, f: &dyn Fn() -> Result<(), String>| {
        if let Err(e) = f() {
            failures.push(format!("{name}: {e}"));
        }
    };
    run("list", &|| {
        let v = want(
            "list",
            call(port, "/api/articles?limit=20", t, None)?,
            &[200],
        )?;
        let list = v["articles"].as_array().ok_or("no articles array")?;
        check("20 articles", list.len() == 20, &v["articlesCount"])?;
        check(
            "articlesCount",
            v["articlesCount"]
                .as_u64()
                .is_some_and(|n| n >= SEEDS as u64),
            &v["articlesCount"],
        )?;
        list.iter().try_for_each(article_shape)
    });
    run("get", &|| {
        let v = want(
            "get",
            call(port, &format!("/api/articles/{}", s.slug), None, None)?,
            &[200],
        )?;
        article_shape(&v["article"])?;
        check(
            "the slug asked for",
            v["article"]["slug"] == s.slug.as_str(),
            &v,
        )
    });
    run("create", &|| {
        let title = "Verify article";
        let v = want(
            "create",
            call(port, "/api/articles", t, Some(&article_body(title)))?,
            &[201],
        )?;
        article_shape(&v["article"])?;
        check("the title sent", v["article"]["title"] == title, &v)?;
        check(
            "sorted tags",
            v["article"]["tagList"] == json!(["bench", "kiln"]),
            &v,
        )
    });
    run("favorite", &|| {
        let path = format!("/api/articles/{}/favorite", s.slug);
        let v = want("favorite", call(port, &path, t, Some(""))?, &[200])?;
        article_shape(&v["article"])?;
        check("favorited", v["article"]["favorited"] == true, &v)?;
        check("favoritesCount", v["article"]["favoritesCount"] == 1, &v)
    });
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_token_and_slug() {
        let s = Session {
            token: "t.o.k".into(),
            slug: "a-slug".into(),
        };
        let c = bind(&case(DbKind::Sqlite), &s);
        let get = &c.endpoints[1];
        assert_eq!(get.path, "/api/articles/a-slug");
        assert_eq!(c.endpoints[3].path, "/api/articles/a-slug/favorite");
        assert_eq!(c.endpoints[0].headers[0].1, "Token t.o.k");
        assert!(c.endpoints[2].body.as_deref().unwrap().contains(UNIQUE));
    }

    #[test]
    fn conduit_gets_its_own_settings() {
        let (mut env, mut args) = (Vec::new(), vec!["--scenario".to_owned()]);
        launch(false, 9, Some("sqlite://x"), &mut env, &mut args);
        assert_eq!(
            args,
            ["--scenario"],
            "the peer keeps the common command line"
        );
        assert!(!env.iter().any(|(k, _)| *k == CONDUIT_DB_ENV));
        let (mut env, mut args) = (Vec::new(), vec!["--scenario".to_owned()]);
        launch(true, 9, Some("sqlite://x"), &mut env, &mut args);
        assert_eq!(args, ["--no-worker"]);
        assert!(env.contains(&(CONDUIT_DB_ENV, "sqlite://x".to_owned())));
        assert!(env.contains(&("CONDUIT_ADDR", "127.0.0.1:9".to_owned())));
        assert!(env.iter().any(|(k, _)| *k == "CONDUIT_RATE_PER_SECOND"));
    }

    #[test]
    fn shapes_are_checked() {
        let good = json!({"slug": "s", "title": "t", "description": "d", "body": "b",
            "tagList": [], "createdAt": "x", "updatedAt": "y", "favorited": false,
            "favoritesCount": 0, "author": {"username": "u", "bio": null, "image": null, "following": false}});
        assert!(article_shape(&good).is_ok());
        let mut bad = good.clone();
        bad["favoritesCount"] = json!("0");
        assert!(article_shape(&bad).unwrap_err().contains("favoritesCount"));
        let mut no_author = good;
        no_author["author"] = Value::Null;
        assert!(article_shape(&no_author).is_err());
    }
}
