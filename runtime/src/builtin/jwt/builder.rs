//! [`JwtAuthBuilder`]: the configuration, checked into a [`JwtAuth`].

use std::collections::HashSet;
use std::time::Duration;

use http::StatusCode;
use jsonwebtoken::{Header, Validation};

use super::super::ConfigError;
use super::cache::TokenCache;
use super::issue::Signer;
use super::keys::{Key, family_name, jwks_keys};
use super::rejection::challenges;
use super::{JwtAuth, JwtKey};

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
    /// built-in middleware ([`JwtClaims`](super::JwtClaims)); [`JwtAuth::verify`] into your
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

#[cfg(test)]
mod tests {
    use super::super::Algorithm;
    use super::*;

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
}
