//! JWT authentication on `jsonwebtoken`: pinned algorithms, keys from
//! secrets, PEM or a JWKS document, RFC 6750 challenges under a configurable
//! scheme (`Bearer`, or `Token` for APIs such as RealWorld's), optional
//! authentication, and token issuing with HMAC keys.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod cache;

use cache::TokenCache;

use super::{ConfigError, config_value};
use crate::{Error, IntoResponse, Request, Response, middleware};

pub use jsonwebtoken::Algorithm;

/// One verification key: its algorithms (one family), optional `kid`.
#[derive(Clone)]
pub struct JwtKey {
    kid: Option<String>,
    algorithms: Vec<Algorithm>,
    key: Result<DecodingKey, String>,
    /// What signs tokens with this key: HMAC secrets only (a public key cannot).
    signing: Option<EncodingKey>,
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl JwtKey {
    /// An HMAC secret for `alg` (`HS256`, `HS384` or `HS512`). Use at least as
    /// many random bytes as the hash size (32 for HS256). It also signs the
    /// tokens [`JwtAuth::issue`] makes.
    #[must_use]
    pub fn secret(alg: Algorithm, secret: &[u8]) -> Self {
        let mut key = JwtKey::new(alg, Ok(DecodingKey::from_secret(secret)));
        key.signing = Some(EncodingKey::from_secret(secret));
        key
    }

    /// An RSA public key in PEM for `alg` (`RS256`/`RS384`/`RS512`/`PS256`/`PS384`/`PS512`).
    #[must_use]
    pub fn rsa_pem(alg: Algorithm, pem: &[u8]) -> Self {
        JwtKey::new(
            alg,
            DecodingKey::from_rsa_pem(pem).map_err(|e| format!("invalid RSA PEM: {e}")),
        )
    }

    /// An EC public key in PEM for `alg` (`ES256` or `ES384`).
    #[must_use]
    pub fn ec_pem(alg: Algorithm, pem: &[u8]) -> Self {
        JwtKey::new(
            alg,
            DecodingKey::from_ec_pem(pem).map_err(|e| format!("invalid EC PEM: {e}")),
        )
    }

    /// An Ed25519 public key in PEM (`EdDSA`).
    #[must_use]
    pub fn ed_pem(pem: &[u8]) -> Self {
        JwtKey::new(
            Algorithm::EdDSA,
            DecodingKey::from_ed_pem(pem).map_err(|e| format!("invalid Ed25519 PEM: {e}")),
        )
    }

    fn new(alg: Algorithm, key: Result<DecodingKey, String>) -> Self {
        JwtKey {
            kid: None,
            algorithms: vec![alg],
            key,
            signing: None,
        }
    }

    /// The key id tokens name in their `kid` header to select this key.
    #[must_use]
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid = Some(kid.to_owned());
        self
    }

    /// Also accepts `alg` with this key; it must be of the same family (an
    /// RSA key may verify `RS256` and `PS256`, never `HS256`).
    #[must_use]
    pub fn also(mut self, alg: Algorithm) -> Self {
        if !self.algorithms.contains(&alg) {
            self.algorithms.push(alg);
        }
        self
    }
}

/// A key ready to verify: its `Validation` pins its algorithms.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    decoding: DecodingKey,
    validation: Validation,
}

/// The JWT middleware, verifier and issuer, configured with [`JwtAuth::builder`].
///
/// As middleware it reads `Authorization: Bearer <token>` (or the scheme set
/// with [`JwtAuthBuilder::scheme`], e.g. `Token`), verifies the token and
/// provides [`JwtClaims`] downstream (`&JwtClaims`):
///
/// | request | response |
/// |---|---|
/// | no `Authorization`, or another scheme | `401` + `WWW-Authenticate: Bearer` (+ `realm`) |
/// | a token that fails verification | `403` + `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` |
/// | a valid token | passes, with `&JwtClaims` injectable |
///
/// Typed claims: your own type through [`JwtAuth::verify`] in a three-line
/// middleware (below), or [`JwtClaims::extra_as`] behind the built-in one.
/// Optional authentication (an anonymous reader is fine, a bad token is
/// not): [`JwtAuth::verify_optional`], provided as `Option<YourClaims>`.
/// Tokens: [`JwtAuth::issue`] signs your claims with the HMAC key, adding
/// `exp` from [`JwtAuthBuilder::token_lifetime`]. Everything needed is
/// re-exported here ([`Algorithm`] included), so an app does not depend on
/// `jsonwebtoken` itself.
///
/// The 403 for invalid tokens is the default asked of kiln; RFC 6750 §3.1
/// recommends `401` for `invalid_token` — set
/// [`JwtAuthBuilder::invalid_token_status`] to `401` for that.
///
/// Verification: the token's `alg` must be one the selected key allows (keys
/// are bound to their algorithms when configured, so an RSA public key can
/// never be used as an HMAC secret, and `none` is never accepted); a `kid`
/// selects the key with that id (an unknown `kid` is invalid), without one
/// the keys without an id are tried in order; `exp` is required, `exp` and
/// `nbf` are checked with a leeway (default 30 s); `iss` and `aud` must
/// match when configured (and are then required). A token with an `aud`
/// claim is rejected unless an audience is configured.
///
/// For claims of your own type, keep `JwtAuth` as a singleton (not listed as
/// middleware) and write three lines:
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{JwtAuth, JwtRejection};
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { sub: String, admin: bool }
///
/// #[middleware(priority = -20, pre_route)]
/// fn auth(jwt: &JwtAuth, req: &Request) -> Result<MyClaims, JwtRejection> {
///     jwt.verify(req)
/// }
///
/// #[handler]
/// fn me(claims: &MyClaims) -> String { format!("{} admin={}", claims.sub, claims.admin) }
///
/// chain! {
///     struct App;
///     singletons { jwt: JwtAuth }
///     middleware { auth }
///     routes { GET "/me" => me }
/// }
/// ```
///
/// Default priority -20. Per route: `GET "/admin" => admin with [kiln::builtin::JwtAuth]`.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::{Algorithm, JwtAuth, JwtClaims, JwtKey};
///
/// #[handler]
/// fn me(claims: &JwtClaims) -> String { claims.sub.clone().unwrap_or_default() }
///
/// #[handler]
/// fn public() -> &'static str { "hi" }
///
/// chain! {
///     struct App;
///     singletons { jwt: JwtAuth }
///     routes {
///         GET "/" => public,
///         GET "/me" => me with [kiln::builtin::JwtAuth],
///     }
/// }
///
/// let jwt = JwtAuth::builder()
///     .key(JwtKey::secret(Algorithm::HS256, b"an example secret of 32 bytes!!!"))
///     .issuer("https://auth.example")
///     .build()
///     .unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { jwt }));
/// assert_eq!(client.get("/").send().await.text(), "hi");
/// let res = client.get("/me").send().await;
/// assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(res.header("www-authenticate"), Some("Bearer"));
/// let res = client.get("/me").header("authorization", "Bearer not.a.token").send().await;
/// assert_eq!(res.status(), StatusCode::FORBIDDEN);
/// # });
/// ```
#[derive(Clone)]
pub struct JwtAuth {
    keys: Vec<Key>,
    /// Every algorithm some key allows.
    algorithms: Vec<Algorithm>,
    /// The `Authorization` scheme, `Bearer` by default.
    scheme: Box<str>,
    challenge: HeaderValue,
    /// The `invalid_token` challenges by [`REASONS`] index, for a scheme
    /// other than `Bearer` (whose challenges are static).
    invalid_challenges: Box<[HeaderValue]>,
    invalid_status: StatusCode,
    signer: Option<Signer>,
    /// Verified tokens of the middleware (`None` when turned off).
    cache: Option<TokenCache>,
}

/// How [`JwtAuth::issue`] signs: the first HMAC key, and the claims it adds.
#[derive(Clone)]
struct Signer {
    header: Header,
    key: EncodingKey,
    lifetime: Duration,
    issuer: Option<String>,
    audience: Option<String>,
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth")
            .field(
                "keys",
                &self
                    .keys
                    .iter()
                    .map(|k| (&k.kid, &k.validation.algorithms))
                    .collect::<Vec<_>>(),
            )
            .field("scheme", &self.scheme)
            .field("invalid_status", &self.invalid_status)
            .field("issues", &self.signer.as_ref().map(|s| s.header.alg))
            .finish_non_exhaustive()
    }
}

/// The claims [`JwtAuth`] provides: the registered claims, and the others as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JwtClaims {
    /// `sub`: the subject (user) the token is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `iss`: who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `aud`: who it is for (one string or several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// `exp`: expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// `nbf`: not valid before, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// `iat`: issued at, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// `jti`: the token's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Every other claim.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl JwtClaims {
    /// The claims other than the registered ones as your own type, for a
    /// handler behind the built-in middleware: `claims.extra_as::<Role>()`.
    /// (To have your type injected instead, see [`JwtAuth::verify`].)
    ///
    /// # Errors
    /// serde's, when the claims do not fit `T`.
    pub fn extra_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.extra)
    }
}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "admin"]`.
    Many(Vec<String>),
}

/// Why a request was not authenticated; its response follows RFC 6750.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtRejection {
    /// No `Authorization: Bearer` credentials: `401` with a `Bearer` challenge.
    Missing {
        /// The `WWW-Authenticate` value.
        challenge: HeaderValue,
    },
    /// The token failed verification: `403` (or the configured status) with
    /// `error="invalid_token"`.
    Invalid {
        /// What was wrong, e.g. `"token expired"`.
        reason: &'static str,
        /// The status to answer with.
        status: StatusCode,
        /// The `WWW-Authenticate` value (`<scheme> error="invalid_token", ...`).
        challenge: HeaderValue,
    },
}

impl JwtRejection {
    /// What was wrong, for logs.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            JwtRejection::Missing { .. } => "missing credentials",
            JwtRejection::Invalid { reason, .. } => reason,
        }
    }
}

impl fmt::Display for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for JwtRejection {}

/// Why [`JwtAuth::issue`] could not make a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtIssueError {
    /// No key can sign: issuing needs an HMAC key ([`JwtKey::secret`]).
    NoSigningKey,
    /// The claims did not serialize to a JSON object.
    NotAnObject,
    /// Serializing or signing failed.
    Encode(String),
}

impl fmt::Display for JwtIssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtIssueError::NoSigningKey => {
                f.write_str("no key can sign tokens; add an HMAC key with `JwtKey::secret`")
            }
            JwtIssueError::NotAnObject => f.write_str("the claims must serialize to a JSON object"),
            JwtIssueError::Encode(e) => write!(f, "the token could not be encoded: {e}"),
        }
    }
}

impl std::error::Error for JwtIssueError {}

/// A `500`: a server that cannot sign its tokens is misconfigured.
impl From<JwtIssueError> for Error {
    fn from(e: JwtIssueError) -> Self {
        tracing::error!(target: "kiln::jwt", error = %e, "token not issued");
        Error::from(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The [`Error`]: `401` (code `unauthorized`) or the configured status
/// (`403`, code `forbidden`), the reason as its message, and the
/// `WWW-Authenticate` challenge.
impl From<JwtRejection> for Error {
    fn from(rejection: JwtRejection) -> Self {
        let reason = rejection.reason();
        let (status, challenge) = match rejection {
            JwtRejection::Missing { challenge } => (StatusCode::UNAUTHORIZED, challenge),
            JwtRejection::Invalid {
                status, challenge, ..
            } => (status, challenge),
        };
        Error::from(status)
            .message(reason)
            .header(WWW_AUTHENTICATE, challenge)
    }
}

impl IntoResponse for JwtRejection {
    fn into_response(self) -> Response {
        Error::from(self).into_response()
    }
}

/// Every reason a token is invalid; [`JwtAuth`] keeps one challenge per entry
/// for a scheme other than `Bearer`.
const REASONS: [&str; 10] = [
    "malformed token",
    "algorithm not allowed",
    "unknown key id",
    "bad signature",
    "token expired",
    "token not yet valid",
    "wrong issuer",
    "wrong audience",
    "missing required claim",
    "invalid claims",
];

/// The fixed reasons, as static `Bearer` challenge values (no allocation on rejection).
fn invalid_challenge(reason: &'static str) -> HeaderValue {
    macro_rules! challenges {
        ($($r:literal),*) => {
            match reason {
                $($r => HeaderValue::from_static(concat!("Bearer error=\"invalid_token\", error_description=\"", $r, "\"")),)*
                _ => HeaderValue::from_static("Bearer error=\"invalid_token\""),
            }
        };
    }
    challenges!(
        "malformed token",
        "algorithm not allowed",
        "unknown key id",
        "bad signature",
        "token expired",
        "token not yet valid",
        "wrong issuer",
        "wrong audience",
        "missing required claim",
        "invalid claims"
    )
}

impl JwtAuth {
    /// Starts a configuration: add at least one key.
    pub fn builder() -> JwtAuthBuilder {
        JwtAuthBuilder {
            keys: Vec::new(),
            jwks: Vec::new(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: Duration::from_secs(30),
            require_exp: true,
            validate_nbf: true,
            realm: None,
            invalid_status: StatusCode::FORBIDDEN,
            scheme: "Bearer".to_owned(),
            lifetime: Duration::from_hours(1),
            cache_size: DEFAULT_CACHE_SIZE,
        }
    }

    /// Verifies the request's `Authorization: <scheme> <token>` and decodes
    /// its claims into `C` (your own type, or [`JwtClaims`]).
    ///
    /// # Errors
    /// [`JwtRejection::Missing`] without credentials of the scheme,
    /// [`JwtRejection::Invalid`] when the token fails verification.
    pub fn verify<C: DeserializeOwned>(&self, req: &Request) -> Result<C, JwtRejection> {
        let token = credentials(req, &self.scheme).ok_or_else(|| JwtRejection::Missing {
            challenge: self.challenge.clone(),
        })?;
        self.decode(token)
    }

    /// Optional authentication: `Ok(None)` when the request carries no
    /// credentials of the scheme (an anonymous reader), the claims when it
    /// carries a valid token, and the rejection when it carries a token that
    /// fails verification — a bad token is never taken for no token, so a
    /// client with an expired session learns it instead of silently seeing
    /// the anonymous view.
    ///
    /// ```
    /// use kiln::prelude::*;
    /// use kiln::builtin::{JwtAuth, JwtRejection};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Claims { sub: String }
    ///
    /// /// Provides `Option<Claims>`: `None` for anonymous requests.
    /// #[middleware(priority = -20, pre_route)]
    /// fn maybe_user(jwt: &JwtAuth, req: &Request) -> Result<Option<Claims>, JwtRejection> {
    ///     jwt.verify_optional(req)
    /// }
    ///
    /// #[handler]
    /// fn greet(user: &Option<Claims>) -> String {
    ///     user.as_ref().map_or_else(|| "hello, stranger".into(), |c| format!("hello, {}", c.sub))
    /// }
    ///
    /// chain! {
    ///     struct App;
    ///     singletons { jwt: JwtAuth }
    ///     routes { GET "/" => greet with [maybe_user] }
    /// }
    /// ```
    ///
    /// # Errors
    /// [`JwtRejection::Invalid`] when a token is present and fails verification.
    pub fn verify_optional<C: DeserializeOwned>(
        &self,
        req: &Request,
    ) -> Result<Option<C>, JwtRejection> {
        credentials(req, &self.scheme)
            .map(|token| self.decode(token))
            .transpose()
    }

    /// Signs `claims` into a token this `JwtAuth` accepts, with the first
    /// HMAC key ([`JwtKey::secret`]) and its first algorithm (and its `kid`).
    /// `exp` (now + [`JwtAuthBuilder::token_lifetime`], default one hour)
    /// and `iat` are added unless `claims` has them, and so are `iss` and
    /// `aud` when an issuer or audience is configured (the first one).
    ///
    /// ```
    /// use kiln::builtin::{Algorithm, JwtAuth, JwtKey};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Claims { sub: String, admin: bool }
    ///
    /// let jwt = JwtAuth::builder()
    ///     .key(JwtKey::secret(Algorithm::HS256, b"an example secret of 32 bytes!!!"))
    ///     .token_lifetime(std::time::Duration::from_secs(24 * 3600))
    ///     .build()
    ///     .unwrap();
    /// let token = jwt.issue(&Claims { sub: "ada".into(), admin: true }).unwrap();
    /// let back: Claims = jwt.decode(&token).unwrap();
    /// assert_eq!((back.sub.as_str(), back.admin), ("ada", true));
    /// ```
    ///
    /// # Errors
    /// [`JwtIssueError`]: no HMAC key, claims that are not a JSON object, a
    /// failed encoding.
    pub fn issue<C: Serialize>(&self, claims: &C) -> Result<String, JwtIssueError> {
        let signer = self.signer.as_ref().ok_or(JwtIssueError::NoSigningKey)?;
        let serde_json::Value::Object(mut map) =
            serde_json::to_value(claims).map_err(|e| JwtIssueError::Encode(e.to_string()))?
        else {
            return Err(JwtIssueError::NotAnObject);
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        map.entry("iat").or_insert(now.into());
        map.entry("exp")
            .or_insert((now + signer.lifetime.as_secs()).into());
        if let Some(iss) = &signer.issuer {
            map.entry("iss").or_insert(iss.as_str().into());
        }
        if let Some(aud) = &signer.audience {
            map.entry("aud").or_insert(aud.as_str().into());
        }
        jsonwebtoken::encode(&signer.header, &map, &signer.key)
            .map_err(|e| JwtIssueError::Encode(e.to_string()))
    }

    /// The configured `Authorization` scheme (`Bearer` by default).
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The `invalid_token` challenge for `reason`, under the configured scheme.
    fn invalid_challenge(&self, reason: &'static str) -> HeaderValue {
        if self.invalid_challenges.is_empty() {
            return invalid_challenge(reason);
        }
        let i = REASONS.iter().position(|r| *r == reason).unwrap_or(0);
        self.invalid_challenges[i].clone()
    }

    /// Verifies a token (without the scheme prefix) and decodes its claims.
    ///
    /// # Errors
    /// [`JwtRejection::Invalid`] when the token fails verification.
    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwtRejection> {
        let invalid = |reason| JwtRejection::Invalid {
            reason,
            status: self.invalid_status,
            challenge: self.invalid_challenge(reason),
        };
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed token"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(invalid("algorithm not allowed"));
        }
        let mut candidates = self.keys.iter().filter(|k| {
            k.validation.algorithms.contains(&header.alg)
                && match (&header.kid, &k.kid) {
                    (Some(want), Some(have)) => want == have,
                    (Some(_), None) => false,
                    (None, _) => true,
                }
        });
        let Some(first) = candidates.next() else {
            return Err(invalid(if header.kid.is_some() {
                "unknown key id"
            } else {
                "algorithm not allowed"
            }));
        };
        let mut result = jsonwebtoken::decode::<C>(token, &first.decoding, &first.validation);
        // Without a `kid`, try the other keys of the algorithm on a bad signature (rotation).
        for k in candidates {
            match &result {
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                    result = jsonwebtoken::decode::<C>(token, &k.decoding, &k.validation);
                }
                _ => break,
            }
        }
        result
            .map(|d| d.claims)
            .map_err(|e| invalid(reason(e.kind())))
    }
}

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "missing required claim",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "algorithm not allowed",
        ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) | ErrorKind::InvalidSubject => {
            "invalid claims"
        }
        _ => "malformed token",
    }
}

/// The token of `Authorization: <scheme> <token>` (scheme case-insensitive).
fn credentials<'r>(req: &'r Request, want: &str) -> Option<&'r str> {
    let v = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case(want) {
        return None;
    }
    let token = token.trim_start_matches(' ');
    (!token.is_empty()).then_some(token)
}

#[middleware(priority = -20, pre_route)]
impl JwtAuth {
    /// Verifies the token; provides its claims.
    ///
    /// # Errors
    /// The 401/403 of [`JwtRejection`].
    #[inline]
    pub fn pre(&self, req: &Request) -> Result<JwtClaims, JwtRejection> {
        let Some(cache) = &self.cache else {
            return self.verify(req);
        };
        let token = credentials(req, &self.scheme).ok_or_else(|| JwtRejection::Missing {
            challenge: self.challenge.clone(),
        })?;
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(claims) = cache.get(token, now) {
            return Ok(claims);
        }
        let claims: JwtClaims = self.decode(token)?;
        cache.insert(token, &claims, now);
        Ok(claims)
    }
}

/// The default bound of the verified-token cache: at ~1 KiB an entry
/// (token and claims), about 1 MiB at most.
const DEFAULT_CACHE_SIZE: usize = 1024;

/// Builds a [`JwtAuth`]; [`build`](JwtAuthBuilder::build) checks it.
#[derive(Debug, Clone)]
#[must_use]
pub struct JwtAuthBuilder {
    keys: Vec<JwtKey>,
    jwks: Vec<String>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: Duration,
    require_exp: bool,
    validate_nbf: bool,
    realm: Option<String>,
    invalid_status: StatusCode,
    scheme: String,
    lifetime: Duration,
    cache_size: usize,
}

impl JwtAuthBuilder {
    /// The `Authorization` scheme tokens come under (default `Bearer`,
    /// matched case-insensitively); the `WWW-Authenticate` challenges name
    /// it. RealWorld's API uses `Token`: `Authorization: Token <jwt>`.
    pub fn scheme(mut self, scheme: &str) -> Self {
        scheme.clone_into(&mut self.scheme);
        self
    }

    /// How long the tokens [`JwtAuth::issue`] makes are valid (`exp`;
    /// default one hour).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Adds a verification key.
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds the keys of a JWKS document (`{"keys": [...]}`, as served at an
    /// issuer's `jwks_uri`). Each key needs a `kid` and an `alg`; keys whose
    /// `use` is not `sig` are skipped. Fetching and refreshing the document
    /// is up to you: build a new `JwtAuth` with the new document.
    pub fn jwks(mut self, json: &str) -> Self {
        self.jwks.push(json.to_owned());
        self
    }

    /// Accepts tokens from this issuer (`iss`); repeatable. When set, `iss`
    /// is required.
    pub fn issuer(mut self, iss: &str) -> Self {
        self.issuers.push(iss.to_owned());
        self
    }

    /// Accepts tokens for this audience (`aud`); repeatable. When set, `aud`
    /// is required.
    pub fn audience(mut self, aud: &str) -> Self {
        self.audiences.push(aud.to_owned());
        self
    }

    /// Clock skew allowed when checking `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether `exp` is required (default `true`; it is always checked when present).
    pub fn require_exp(mut self, require: bool) -> Self {
        self.require_exp = require;
        self
    }

    /// Whether `nbf` is checked when present (default `true`).
    pub fn validate_nbf(mut self, on: bool) -> Self {
        self.validate_nbf = on;
        self
    }

    /// The `realm` of the `WWW-Authenticate: Bearer realm="..."` challenge.
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = Some(realm.to_owned());
        self
    }

    /// The status for invalid tokens: `403` (default) or `401` (RFC 6750 §3.1).
    pub fn invalid_token_status(mut self, status: StatusCode) -> Self {
        self.invalid_status = status;
        self
    }

    /// How many verified tokens the middleware remembers (default
    /// 1,024; `0` turns the cache off). A cached token skips signature
    /// verification and claim decoding; its `exp` and `nbf` are checked
    /// against the clock on every hit, and the stored token is compared
    /// whole, in constant time. Verification depends only on the token,
    /// the keys (fixed for this `JwtAuth` and its clones, which share the
    /// cache) and the clock, so the cache changes no answer. It serves the
    /// built-in middleware ([`JwtClaims`]); [`JwtAuth::verify`] into your
    /// own type always verifies.
    ///
    /// ```
    /// use kiln::builtin::{Algorithm, JwtAuth, JwtKey};
    ///
    /// let jwt = JwtAuth::builder()
    ///     .key(JwtKey::secret(Algorithm::HS256, b"a secret of 32 bytes or more!!!!"))
    ///     .cache_size(0)
    ///     .build()
    ///     .unwrap();
    /// # let _ = jwt;
    /// ```
    pub fn cache_size(mut self, tokens: usize) -> Self {
        self.cache_size = tokens;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// No key; an unreadable key or JWKS; a key whose algorithms are of
    /// several families or do not fit the key; two keys with one `kid`; a
    /// realm with quotes or control characters; a status other than 401/403.
    pub fn build(self) -> Result<JwtAuth, ConfigError> {
        let err = |m: String| ConfigError::new("JwtAuth", m);
        let mut all: Vec<JwtKey> = self.keys;
        for doc in &self.jwks {
            all.extend(jwks_keys(doc).map_err(err)?);
        }
        if all.is_empty() {
            return Err(err(
                "no verification key; add `.key(JwtKey::secret(Algorithm::HS256, secret))`, a PEM key or `.jwks(document)`".into(),
            ));
        }
        if !matches!(
            self.invalid_status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            return Err(err(format!(
                "invalid tokens are answered with `401` or `403`, not `{}`",
                self.invalid_status
            )));
        }
        let mut keys = Vec::new();
        let mut algorithms = Vec::new();
        let mut kids = HashSet::new();
        let mut signer = None;
        for (i, k) in all.into_iter().enumerate() {
            if signer.is_none()
                && let Some(signing) = &k.signing
            {
                let mut header = Header::new(k.algorithms[0]);
                header.kid.clone_from(&k.kid);
                signer = Some(Signer {
                    header,
                    key: signing.clone(),
                    lifetime: self.lifetime,
                    issuer: self.issuers.first().cloned(),
                    audience: self.audiences.first().cloned(),
                });
            }
            let name = k
                .kid
                .as_deref()
                .map_or_else(|| format!("key #{}", i + 1), |id| format!("key `{id}`"));
            let key = k.key.map_err(|e| err(format!("{name}: {e}")))?;
            let family = key.family();
            for &alg in &k.algorithms {
                if alg.family() != family {
                    return Err(err(format!(
                        "{name} is a {} key and cannot verify `{alg:?}`: an algorithm is pinned to its key type, so tokens cannot switch between HMAC and public-key algorithms",
                        family_name(family)
                    )));
                }
            }
            if let Some(id) = &k.kid
                && !kids.insert(id.clone())
            {
                return Err(err(format!("two keys have the key id `{id}`")));
            }
            let mut v = Validation::new(k.algorithms[0]);
            v.algorithms.clone_from(&k.algorithms);
            v.leeway = self.leeway.as_secs();
            v.validate_exp = true;
            v.validate_nbf = self.validate_nbf;
            let mut required: Vec<&str> = Vec::new();
            if self.require_exp {
                required.push("exp");
            }
            if !self.issuers.is_empty() {
                v.set_issuer(&self.issuers);
                required.push("iss");
            }
            if !self.audiences.is_empty() {
                v.set_audience(&self.audiences);
                required.push("aud");
            }
            v.set_required_spec_claims(&required);
            for &alg in &k.algorithms {
                if !algorithms.contains(&alg) {
                    algorithms.push(alg);
                }
            }
            keys.push(Key {
                kid: k.kid,
                decoding: key,
                validation: v,
            });
        }
        let (challenge, invalid_challenges) =
            challenges(&self.scheme, self.realm.as_deref()).map_err(err)?;
        Ok(JwtAuth {
            keys,
            algorithms,
            scheme: self.scheme.into_boxed_str(),
            challenge,
            invalid_challenges,
            invalid_status: self.invalid_status,
            signer,
            cache: (self.cache_size > 0).then(|| {
                TokenCache::new(self.cache_size, self.leeway.as_secs(), self.validate_nbf)
            }),
        })
    }
}

/// The challenge for missing credentials and, for a scheme other than
/// `Bearer`, the `invalid_token` ones by [`REASONS`] index.
fn challenges(
    scheme: &str,
    realm: Option<&str>,
) -> Result<(HeaderValue, Box<[HeaderValue]>), String> {
    // RFC 9110's token characters: a scheme is one word.
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(format!(
            "scheme `{scheme}` must be one word of letters, digits or `!#$%&'*+-.^_`|~`, such as `Bearer` or `Token`"
        ));
    }
    let bearer = scheme == "Bearer";
    let challenge = match realm {
        None if bearer => HeaderValue::from_static("Bearer"),
        None => config_value(scheme).map_err(|_| format!("scheme `{scheme}`"))?,
        Some(r) if r.contains(['"', '\\']) || r.chars().any(char::is_control) => {
            return Err(format!(
                "realm `{r}` must not contain quotes, backslashes or control characters"
            ));
        }
        Some(r) => config_value(&format!("{scheme} realm=\"{r}\""))
            .map_err(|_| format!("realm `{r}` is not valid in a header"))?,
    };
    let invalid_challenges = if bearer {
        Box::default()
    } else {
        REASONS
            .iter()
            .map(|r| {
                config_value(&format!(
                    "{scheme} error=\"invalid_token\", error_description=\"{r}\""
                ))
                .map_err(|_| format!("scheme `{scheme}`"))
            })
            .collect::<Result<_, _>>()?
    };
    Ok((challenge, invalid_challenges))
}

fn family_name(f: AlgorithmFamily) -> &'static str {
    match f {
        AlgorithmFamily::Hmac => "HMAC secret",
        AlgorithmFamily::Rsa => "RSA",
        AlgorithmFamily::Ec => "EC",
        AlgorithmFamily::Ed => "Ed25519",
    }
}

/// The signing keys of a JWKS document.
fn jwks_keys(doc: &str) -> Result<Vec<JwtKey>, String> {
    let set: JwkSet =
        serde_json::from_str(doc).map_err(|e| format!("invalid JWKS document: {e}"))?;
    let mut out = Vec::new();
    for jwk in &set.keys {
        let c = &jwk.common;
        if c.public_key_use
            .as_ref()
            .is_some_and(|u| !matches!(u, jsonwebtoken::jwk::PublicKeyUse::Signature))
        {
            continue;
        }
        let kid = c
            .key_id
            .clone()
            .ok_or("a JWKS key has no `kid`; tokens could not select it")?;
        let alg = c.key_algorithm.ok_or_else(|| {
            format!("JWKS key `{kid}` has no `alg`; the algorithm must be pinned")
        })?;
        let alg = Algorithm::try_from(alg).map_err(|_| {
            format!("JWKS key `{kid}`: algorithm `{alg:?}` is not a signature algorithm")
        })?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("JWKS key `{kid}`: {e}"));
        out.push(JwtKey {
            kid: Some(kid),
            algorithms: vec![alg],
            key,
            signing: None,
        });
    }
    if out.is_empty() {
        return Err("the JWKS document has no signing key".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_parsed() {
        let req = |v: &str| {
            http::Request::builder()
                .header("authorization", v)
                .body(crate::Body::empty())
                .unwrap()
        };
        let bearer = |v| credentials(&req(v), "Bearer").map(str::to_owned);
        assert_eq!(bearer("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(bearer("bearer  abc").as_deref(), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Token abc"), None);
        let token = |v| credentials(&req(v), "Token").map(str::to_owned);
        assert_eq!(token("Token abc").as_deref(), Some("abc"));
        assert_eq!(token("token abc").as_deref(), Some("abc"));
        assert_eq!(token("Bearer abc"), None);
    }

    #[test]
    fn keys_are_pinned_to_their_family() {
        let e = JwtAuth::builder()
            .key(
                JwtKey::secret(Algorithm::HS256, b"0123456789abcdef0123456789abcdef")
                    .also(Algorithm::RS256),
            )
            .build()
            .unwrap_err();
        assert!(e.message().contains("cannot verify `RS256`"), "{e}");
        let e = JwtAuth::builder().build().unwrap_err();
        assert!(e.message().contains("no verification key"), "{e}");
        let e = JwtAuth::builder()
            .key(JwtKey::rsa_pem(Algorithm::RS256, b"not pem"))
            .build()
            .unwrap_err();
        assert!(e.message().contains("invalid RSA PEM"), "{e}");
    }

    #[test]
    fn every_reason_has_a_static_challenge() {
        assert_eq!(REASONS.len(), 10);
        for kind in [
            ErrorKind::InvalidSignature,
            ErrorKind::ExpiredSignature,
            ErrorKind::ImmatureSignature,
            ErrorKind::InvalidIssuer,
            ErrorKind::InvalidAudience,
            ErrorKind::MissingRequiredClaim("exp".into()),
            ErrorKind::InvalidAlgorithm,
            ErrorKind::InvalidSubject,
            ErrorKind::InvalidToken,
        ] {
            let r = reason(&kind);
            assert!(REASONS.contains(&r), "{r}");
            let c = invalid_challenge(r);
            assert!(c.to_str().unwrap().contains(r), "{r}");
        }
    }
}
