//! Verification keys: [`JwtKey`] as configured (a secret, PEM or a JWKS
//! entry, pinned to its algorithms) and [`Key`], the form `JwtAuth` verifies
//! with.

use std::fmt;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Validation};

/// One verification key: its algorithms (one family), optional `kid`.
#[derive(Clone)]
pub struct JwtKey {
    pub(super) kid: Option<String>,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) key: Result<DecodingKey, String>,
    /// What signs tokens with this key: HMAC secrets only (a public key cannot).
    pub(super) signing: Option<EncodingKey>,
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
    /// tokens [`JwtAuth::issue`](super::JwtAuth::issue) makes.
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
pub(super) struct Key {
    pub(super) kid: Option<String>,
    pub(super) decoding: DecodingKey,
    pub(super) validation: Validation,
}

pub(super) fn family_name(f: AlgorithmFamily) -> &'static str {
    match f {
        AlgorithmFamily::Hmac => "HMAC secret",
        AlgorithmFamily::Rsa => "RSA",
        AlgorithmFamily::Ec => "EC",
        AlgorithmFamily::Ed => "Ed25519",
    }
}

/// The signing keys of a JWKS document.
pub(super) fn jwks_keys(doc: &str) -> Result<Vec<JwtKey>, String> {
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
