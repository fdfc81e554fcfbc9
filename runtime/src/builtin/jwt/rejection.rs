//! Why a request or a token was refused, and the answers: [`JwtRejection`]
//! and its RFC 6750 challenges, [`JwtIssueError`] and its `500`.

use std::fmt;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, StatusCode};
use jsonwebtoken::errors::ErrorKind;

use super::super::config_value;
use crate::{Error, IntoResponse, Response};

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

/// Why [`JwtAuth::issue`](super::JwtAuth::issue) could not make a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtIssueError {
    /// No key can sign: issuing needs an HMAC key ([`JwtKey::secret`](super::JwtKey::secret)).
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

/// Every reason a token is invalid; [`JwtAuth`](super::JwtAuth) keeps one challenge per entry
/// for a scheme other than `Bearer`.
pub(super) const REASONS: [&str; 10] = [
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
pub(super) fn invalid_challenge(reason: &'static str) -> HeaderValue {
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

pub(super) fn reason(kind: &ErrorKind) -> &'static str {
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

/// The challenge for missing credentials and, for a scheme other than
/// `Bearer`, the `invalid_token` ones by [`REASONS`] index.
pub(super) fn challenges(
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

#[cfg(test)]
mod tests {
    use super::*;

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
