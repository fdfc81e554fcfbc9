//! `JwtAuth`'s cache of verified tokens: a hit honours expiry, another key
//! does not see the tokens of the old one, and a token that shares a cached
//! token's prefix (or all but its signature) is verified, not served.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use kiln::builtin::{Algorithm, JwtAuth, JwtClaims, JwtKey};
use kiln::prelude::*;
use serde_json::json;

const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";
const OTHER: &[u8] = b"another secret, also 32+ bytes long";

#[handler]
fn me(claims: &JwtClaims) -> String {
    claims.sub.clone().unwrap_or_default()
}

chain! {
    struct App;
    singletons { jwt: JwtAuth }
    routes { GET "/me" => me with [kiln::builtin::JwtAuth] }
}

fn app(secret: &[u8]) -> TestClient<App> {
    let jwt = JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, secret))
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    TestClient::new(App::new(AppSingletons { jwt }))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(secret: &[u8], sub: &str, exp: u64) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": sub, "exp": exp }),
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn get(c: &TestClient<App>, token: &str) -> kiln::TestResponse {
    c.get("/me")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await
}

#[tokio::test]
async fn a_token_that_expires_while_cached_is_rejected() {
    let c = app(SECRET);
    // Expires at the end of the next second: cached now, stale after.
    let exp = now() + 1;
    let t = token(SECRET, "ada", exp);
    for _ in 0..2 {
        let res = get(&c, &t).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text(), "ada");
    }
    while now() <= exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = get(&c, &t).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("token expired"),
        "{:?}",
        res.header("www-authenticate")
    );
}

#[tokio::test]
async fn another_key_does_not_see_the_old_keys_tokens() {
    let t = token(SECRET, "ada", now() + 600);
    let old = app(SECRET);
    assert_eq!(get(&old, &t).await.status(), StatusCode::OK);
    // A rotated key means a new `JwtAuth`, with its own (empty) cache.
    let rotated = app(OTHER);
    let res = get(&rotated, &t).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("bad signature")
    );
    assert_eq!(get(&old, &t).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forged_token_sharing_the_prefix_misses() {
    let c = app(SECRET);
    let t = token(SECRET, "ada", now() + 600);
    assert_eq!(get(&c, &t).await.status(), StatusCode::OK);
    // Same header and payload, another signature; the signature cut short;
    // the cached token with more after it.
    let (signed, sig) = t.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{signed}.{flipped}{}", &sig[1..]);
    let truncated = &t[..t.len() - 2];
    let longer = format!("{t}AA");
    for bad in [forged.as_str(), truncated, longer.as_str()] {
        assert_eq!(get(&c, bad).await.status(), StatusCode::FORBIDDEN, "{bad}");
    }
    // A token forged with another key but the same claims misses too.
    let other = token(OTHER, "ada", now() + 600);
    assert_eq!(get(&c, &other).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&c, &t).await.status(), StatusCode::OK);
}
