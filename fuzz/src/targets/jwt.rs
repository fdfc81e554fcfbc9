//! `jwt`: `JwtAuth`'s parsing and verification of tokens and of the
//! `Authorization` header.
//!
//! Input: the first byte picks a mode. **Raw**: the bytes are the token (and
//! the header value). **Crafted**: a JOSE header and claims (JSON text from
//! the input), base64url-encoded and signed with HS256/384/512 under the
//! right or a wrong secret. **Tampered**: a token `JwtAuth::issue` made for
//! the input's claims, then edited at input-chosen places.
//! Invariants: a raw token never verifies; a crafted one verifies only when
//! signed with the right secret under the pinned algorithm (`HS256`), with a
//! numeric `exp` that has not passed, and then yields exactly its claims; an
//! issued token verifies or fails only for a claim's reason (time, shape),
//! never for its signature or its form; any edit of it fails; a request
//! without credentials of the scheme is `Missing`, never `Invalid`.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use arbitrary::Unstructured;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use kiln::builtin::{Algorithm, JwtAuth, JwtClaims, JwtKey, JwtRejection};

use crate::support;

const SECRET: &[u8] = b"kiln-fuzz-secret-of-32-bytes!!!!";
const WRONG: &[u8] = b"kiln-fuzz-secret-of-32-bytes!!!?";
/// `JwtAuth`'s default leeway on `exp` and `nbf`.
const LEEWAY: u64 = 30;

static JWT: LazyLock<JwtAuth> = LazyLock::new(|| {
    JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET))
        .build()
        .expect("a valid JWT config")
});

/// See the module docs.
pub fn jwt(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => raw(rest),
        1 => {
            let _ = crafted(&mut Unstructured::new(rest));
        }
        _ => {
            let _ = tampered(&mut Unstructured::new(rest));
        }
    }
}

fn raw(token: &[u8]) {
    if let Ok(t) = std::str::from_utf8(token) {
        assert!(
            JWT.decode::<serde_json::Value>(t).is_err(),
            "a raw token verified: {t:?}"
        );
    }
    let mut req = support::request(http::Method::GET, "/").expect("a valid target");
    support::add_header(&mut req, "authorization", token);
    let scheme_ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(s, t)| {
            s.eq_ignore_ascii_case("bearer") && !t.trim_start_matches(' ').is_empty()
        });
    match JWT.verify::<JwtClaims>(&req) {
        Ok(c) => panic!("a raw Authorization verified: {c:?}"),
        Err(JwtRejection::Missing { .. }) => {
            assert!(!scheme_ok, "Bearer credentials reported missing");
        }
        Err(JwtRejection::Invalid { .. }) => {
            assert!(scheme_ok, "no Bearer credentials, yet an invalid token");
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn crafted(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let alg = *u.choose(&[
        Algorithm::HS256,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
    ])?;
    let right = u.ratio(3, 4)?;
    let header: &str = if u.ratio(1, 2)? {
        *u.choose(&[
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","kid":"other"}"#,
            r#"{"alg":"HS384"}"#,
            r#"{"alg":"RS256"}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"HS256","crit":["exp"]}"#,
        ])?
    } else {
        u.arbitrary()?
    };
    let claims: &str = if u.ratio(1, 2)? {
        *u.choose(&[
            r#"{"sub":"ada","exp":4102444800}"#,
            r#"{"sub":"ada"}"#,
            r#"{"exp":1}"#,
            r#"{"exp":"4102444800"}"#,
            r#"{"exp":4102444800,"nbf":4102444800}"#,
            r#"{"exp":4102444800.5}"#,
            r#"[1,2]"#,
            r#"{"exp":4102444800,"aud":["a"],"extra":{"k":[null]}}"#,
        ])?
    } else {
        u.arbitrary()?
    };
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let key = EncodingKey::from_secret(if right { SECRET } else { WRONG });
    let sig =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg).expect("HMAC signs anything");
    let token = format!("{message}.{sig}");
    let what = format!("header {header:?}, claims {claims:?}, {alg:?}, right key {right}");
    let Ok(got) = JWT.decode::<serde_json::Value>(&token) else {
        return Ok(());
    };
    assert!(right, "{what}: verified under the wrong secret");
    assert_eq!(
        alg,
        Algorithm::HS256,
        "{what}: verified under an algorithm not pinned"
    );
    let h: serde_json::Value = serde_json::from_str(header).expect("a verified header is JSON");
    assert_eq!(h["alg"], "HS256", "{what}: header alg");
    let c: serde_json::Value = serde_json::from_str(claims).expect("verified claims are JSON");
    assert_eq!(got, c, "{what}: claims changed");
    let exp = c["exp"]
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: verified without a numeric exp"));
    #[allow(clippy::cast_precision_loss)] // seconds since 1970 fit an f64 exactly
    let earliest = (now() - LEEWAY) as f64;
    assert!(exp >= earliest, "{what}: verified after exp");
    Ok(())
}

fn tampered(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let claims: &str = u.arbitrary()?;
    let Ok(claims) = serde_json::from_str::<serde_json::Value>(claims) else {
        return Ok(());
    };
    let Ok(token) = JWT.issue(&claims) else {
        assert!(!claims.is_object(), "issuing {claims} failed");
        return Ok(());
    };
    let what = format!("issued for {claims}");
    if let Err(e) = JWT.decode::<serde_json::Value>(&token) {
        let reason = e.reason();
        assert!(
            [
                "token expired",
                "token not yet valid",
                "invalid claims",
                "missing required claim",
                "wrong audience",
                "wrong issuer",
            ]
            .contains(&reason),
            "{what}: its own token failed: {reason}"
        );
    }
    let mut edited = token.clone().into_bytes();
    for _ in 0..u.int_in_range(1..=3)? {
        let at = u.choose_index(edited.len())?;
        match u.int_in_range(0..=2)? {
            0 => edited[at] = u.arbitrary()?,
            1 => {
                edited.remove(at);
            }
            _ => edited.insert(at, u.arbitrary()?),
        }
    }
    let Ok(edited) = String::from_utf8(edited) else {
        return Ok(());
    };
    if edited != token {
        assert!(
            JWT.decode::<serde_json::Value>(&edited).is_err(),
            "{what}: edited token {edited} still verifies"
        );
    }
    Ok(())
}
