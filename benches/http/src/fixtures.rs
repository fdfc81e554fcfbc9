//! What every peer serves: constants, JSON shapes, the JWT secret and the DI
//! services, shared so that each framework returns byte-identical bodies and
//! does the same work; only the wiring differs between peers.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The plain-text greeting of `GET /`.
pub const HELLO: &str = "Hello, World!";
/// `content-type` of plain-text responses.
pub const TEXT: &str = "text/plain; charset=utf-8";
/// `content-type` of JSON responses.
pub const JSON: &str = "application/json";

/// The one origin the CORS middleware allows.
pub const ORIGIN: &str = "http://localhost:3000";
/// The request header carrying a request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The security headers preset, in the order they are set.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'self'"),
    ("referrer-policy", "no-referrer"),
];

/// The header every `middleware-depth` middleware requires.
pub const DEPTH_KEY: &str = "x-key";
/// The deepest `middleware-depth` stack a server can build.
pub const MAX_DEPTH: usize = 20;
/// The response header middleware `i` of `middleware-depth` inserts (`x-mw-<i>: 1`).
pub const DEPTH_HEADERS: [&str; MAX_DEPTH] = [
    "x-mw-0", "x-mw-1", "x-mw-2", "x-mw-3", "x-mw-4", "x-mw-5", "x-mw-6", "x-mw-7", "x-mw-8",
    "x-mw-9", "x-mw-10", "x-mw-11", "x-mw-12", "x-mw-13", "x-mw-14", "x-mw-15", "x-mw-16",
    "x-mw-17", "x-mw-18", "x-mw-19",
];

/// Body of `GET /json`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Message {
    /// Always [`HELLO`].
    pub message: &'static str,
}

/// The `GET /json` value.
pub const MESSAGE: Message = Message { message: HELLO };

/// Body of `GET /users/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// The id from the path.
    pub id: u64,
    /// `user<id>`.
    pub name: String,
}

impl User {
    /// The user with this id.
    #[must_use]
    pub fn new(id: u64) -> Self {
        User {
            id,
            name: format!("user{id}"),
        }
    }
}

/// The query of `GET /search`, echoed back as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Search {
    /// The search text.
    pub q: String,
    /// The page size.
    pub limit: u32,
}

// ------------------------------------------------------------------- JWT

/// The HS256 secret shared by the harness and the servers.
pub const JWT_SECRET: &[u8] = b"kiln-bench-secret-do-not-use-in-production";
/// The `sub` of the benchmark token.
pub const JWT_SUB: &str = "bench-user";
/// `exp` of the benchmark token: 2100-01-01T00:00:00Z.
pub const JWT_EXP: u64 = 4_102_444_800;

/// The claims of a bearer token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The subject.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header, or not `Bearer` (401 with `WWW-Authenticate`).
    Missing,
    /// A bearer token that does not verify (403).
    Invalid,
}

struct Keys {
    decoding: DecodingKey,
    validation: Validation,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    decoding: DecodingKey::from_secret(JWT_SECRET),
    validation: Validation::new(Algorithm::HS256),
});

/// Verifies an `Authorization` header value (`Bearer <jwt>`, HS256 pinned,
/// `exp` required) and returns its claims.
///
/// # Errors
/// [`AuthError::Missing`] without a bearer token, [`AuthError::Invalid`] when
/// the token does not verify.
pub fn verify_bearer(authorization: Option<&[u8]>) -> Result<Claims, AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    let token = value
        .strip_prefix(b"Bearer ")
        .ok_or(AuthError::Missing)
        .and_then(|t| std::str::from_utf8(t).map_err(|_| AuthError::Invalid))?;
    jsonwebtoken::decode::<Claims>(token, &KEYS.decoding, &KEYS.validation)
        .map(|data| data.claims)
        .map_err(|_| AuthError::Invalid)
}

/// The bearer token the harness sends: `{sub: JWT_SUB, exp: JWT_EXP}`, HS256.
///
/// # Panics
/// Never in practice: encoding fixed claims with an HMAC key cannot fail.
#[must_use]
pub fn bench_token() -> String {
    let claims = Claims {
        sub: JWT_SUB.to_owned(),
        exp: JWT_EXP,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET),
    )
    .expect("HS256 encoding of fixed claims")
}

/// The body of `GET /protected`, for the token's `sub`: each server formats
/// it from the claims it decoded, without copying them first.
#[must_use]
pub fn protected_body(sub: &str) -> String {
    format!("hello {sub}")
}

// -------------------------------------------------------------------- DI

/// Singleton: application settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The app name echoed in every reply.
    pub app: String,
    /// The greeting echoed in every reply.
    pub greeting: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            app: "kiln-bench".to_owned(),
            greeting: "hello".to_owned(),
        }
    }
}

/// Singleton: counts requests (one relaxed atomic add per request).
#[derive(Debug, Default)]
pub struct Counter {
    hits: AtomicU64,
}

impl Counter {
    /// Counts one hit and returns the new total.
    pub fn hit(&self) -> u64 {
        self.hits.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Singleton: a "repository" of items in a `HashMap`.
#[derive(Debug)]
pub struct Repo {
    items: HashMap<u64, String>,
}

impl Default for Repo {
    fn default() -> Self {
        Repo {
            items: (0..100).map(|i| (i, format!("item-{i}"))).collect(),
        }
    }
}

impl Repo {
    /// The item with this id.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<&str> {
        self.items.get(&id).map(String::as_str)
    }
}

/// The header a [`Session`] is derived from.
pub const SESSION_HEADER: &str = "x-user";

/// Request-scoped, built by an async constructor: who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user from the `x-user` header.
    pub user: String,
}

impl Session {
    /// Builds the session from the `x-user` header value (`None` → 401).
    #[allow(clippy::unused_async)] // async on purpose: the async request-scoped constructor of the DI scenario
    pub async fn load(header: Option<&[u8]>) -> Option<Session> {
        let user = std::str::from_utf8(header?).ok()?;
        if user.is_empty() {
            return None;
        }
        Some(Session {
            user: user.to_owned(),
        })
    }
}

/// Request-scoped, built synchronously: which item is asked for (`?id=<u64>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The item id.
    pub id: u64,
}

impl Lookup {
    /// Parses `id=<u64>` out of a query string (`None` → 400).
    #[must_use]
    pub fn parse(query: Option<&str>) -> Option<Lookup> {
        query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("id="))
            .and_then(|v| v.parse().ok())
            .map(|id| Lookup { id })
    }
}

/// Body of `GET /di`.
#[derive(Debug, Clone, Serialize)]
pub struct DiReply<'a> {
    /// From [`Config`].
    pub app: &'a str,
    /// From [`Config`].
    pub greeting: &'a str,
    /// From [`Session`].
    pub user: &'a str,
    /// From [`Repo`] via [`Lookup`].
    pub item: &'a str,
}

/// The DI handler's work once everything is injected: count the hit, look the
/// item up, build the reply (`None` → 404).
#[must_use]
pub fn di_reply<'a>(
    config: &'a Config,
    counter: &Counter,
    repo: &'a Repo,
    session: &'a Session,
    lookup: Lookup,
) -> Option<DiReply<'a>> {
    counter.hit();
    Some(DiReply {
        app: &config.app,
        greeting: &config.greeting,
        user: &session.user,
        item: repo.get(lookup.id)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips() {
        let t = bench_token();
        let header = format!("Bearer {t}");
        let claims = verify_bearer(Some(header.as_bytes())).unwrap();
        assert_eq!(claims.sub, JWT_SUB);
        assert_eq!(verify_bearer(None), Err(AuthError::Missing));
        assert_eq!(verify_bearer(Some(b"Basic x")), Err(AuthError::Missing));
        assert_eq!(
            verify_bearer(Some(b"Bearer x.y.z")),
            Err(AuthError::Invalid)
        );
    }

    #[test]
    fn lookup_parses_the_id() {
        assert_eq!(Lookup::parse(Some("a=1&id=7")), Some(Lookup { id: 7 }));
        assert_eq!(Lookup::parse(Some("id=x")), None);
        assert_eq!(Lookup::parse(None), None);
    }
}
