//! The cases of the serving scenarios: basic routes, the middleware stack,
//! middleware depth and dependency injection.

use super::{Case, Expect, HeaderRule, Scenario, get, json, status_only, text};
use crate::fixtures::{
    self, DEPTH_HEADERS, DEPTH_KEY, HELLO, ORIGIN, REQUEST_ID, SECURITY_HEADERS, SESSION_HEADER,
};

pub(super) fn basic() -> Case {
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

pub(super) fn middleware() -> Case {
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

pub(super) fn depth(n: usize) -> Case {
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

pub(super) fn di() -> Case {
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
