//! Token issuing: [`JwtAuth::issue`] signs with the first HMAC key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header};
use serde::Serialize;

use super::{JwtAuth, JwtIssueError};

/// How [`JwtAuth::issue`] signs: the first HMAC key, and the claims it adds.
#[derive(Clone)]
pub(super) struct Signer {
    pub(super) header: Header,
    pub(super) key: EncodingKey,
    pub(super) lifetime: Duration,
    pub(super) issuer: Option<String>,
    pub(super) audience: Option<String>,
}

impl JwtAuth {
    /// Signs `claims` into a token this `JwtAuth` accepts, with the first
    /// HMAC key ([`JwtKey::secret`](super::JwtKey::secret)) and its first algorithm (and its `kid`).
    /// `exp` (now + [`JwtAuthBuilder::token_lifetime`](super::JwtAuthBuilder::token_lifetime), default one hour)
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
}
