//! Verification: [`JwtAuth`], its credentials and the middleware hook.

use std::fmt;

use http::HeaderValue;
use http::StatusCode;
use http::header::AUTHORIZATION;
use jsonwebtoken::errors::ErrorKind;
use serde::de::DeserializeOwned;

use super::cache::TokenCache;
use super::issue::Signer;
use super::keys::Key;
use super::rejection::{REASONS, invalid_challenge, reason};
use super::{Algorithm, JwtClaims, JwtRejection};
use crate::{Request, middleware};

/// The JWT middleware, verifier and issuer, configured with [`JwtAuth::builder`].
///
/// As middleware it reads `Authorization: Bearer <token>` (or the scheme set
/// with [`JwtAuthBuilder::scheme`](super::JwtAuthBuilder::scheme), e.g. `Token`), verifies the token and
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
/// `exp` from [`JwtAuthBuilder::token_lifetime`](super::JwtAuthBuilder::token_lifetime). Everything needed is
/// re-exported here ([`Algorithm`] included), so an app does not depend on
/// `jsonwebtoken` itself.
///
/// The 403 for invalid tokens is the default asked of kiln; RFC 6750 §3.1
/// recommends `401` for `invalid_token` — set
/// [`JwtAuthBuilder::invalid_token_status`](super::JwtAuthBuilder::invalid_token_status) to `401` for that.
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
    pub(super) keys: Vec<Key>,
    /// Every algorithm some key allows.
    pub(super) algorithms: Vec<Algorithm>,
    /// The `Authorization` scheme, `Bearer` by default.
    pub(super) scheme: Box<str>,
    pub(super) challenge: HeaderValue,
    /// The `invalid_token` challenges by [`REASONS`] index, for a scheme
    /// other than `Bearer` (whose challenges are static).
    pub(super) invalid_challenges: Box<[HeaderValue]>,
    pub(super) invalid_status: StatusCode,
    pub(super) signer: Option<Signer>,
    /// Verified tokens of the middleware (`None` when turned off).
    pub(super) cache: Option<TokenCache>,
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

impl JwtAuth {
    /// Verifies the request's `Authorization: <scheme> <token>` and decodes
    /// its claims into `C` (your own type, or [`JwtClaims`]).
    ///
    /// # Errors
    /// [`JwtRejection::Missing`] without credentials of the scheme,
    /// [`JwtRejection::Invalid`] when the token fails verification.
    pub fn verify<C: DeserializeOwned>(&self, req: &Request) -> Result<C, JwtRejection> {
        self.decode(self.token(req)?)
    }

    /// The request's token, or the `401` of missing credentials: the one
    /// place that answers it, for [`verify`](JwtAuth::verify) and the
    /// middleware's `pre`.
    fn token<'r>(&self, req: &'r Request) -> Result<&'r str, JwtRejection> {
        credentials(req, &self.scheme).ok_or_else(|| JwtRejection::Missing {
            challenge: self.challenge.clone(),
        })
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
        let token = self.token(req)?;
        let Some(cache) = &self.cache else {
            return self.decode(token);
        };
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(claims) = cache.get(token, now) {
            return Ok(claims);
        }
        let claims: JwtClaims = self.decode(token)?;
        cache.insert(token, &claims, now);
        Ok(claims)
    }
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
}
