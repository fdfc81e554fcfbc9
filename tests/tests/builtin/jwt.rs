//! `kiln::builtin::JwtAuth`: Bearer tokens per RFC 6750, pinned algorithms,
//! keys from secrets, PEM and JWKS, claims validation.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use kiln::builtin::{Algorithm, JwtAuth, JwtClaims, JwtKey, JwtRejection};
use kiln::prelude::*;
use serde_json::json;

const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";

#[handler]
fn me(claims: &JwtClaims) -> String {
    format!(
        "{} {}",
        claims.sub.as_deref().unwrap_or("-"),
        claims
            .extra
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or("-")
    )
}

#[handler]
fn public() -> &'static str {
    "public"
}

chain! {
    struct App;
    singletons { jwt: JwtAuth }
    routes {
        GET "/" => public,
        GET "/me" => me with [kiln::builtin::JwtAuth],
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(extra: &serde_json::Value) -> serde_json::Value {
    let mut c = json!({ "sub": "ada", "role": "admin", "exp": now() + 600 });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn token(alg: Algorithm, key: &EncodingKey, kid: Option<&str>, c: &serde_json::Value) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_owned);
    encode(&h, c, key).unwrap()
}

fn hs256(c: &serde_json::Value) -> String {
    token(Algorithm::HS256, &EncodingKey::from_secret(SECRET), None, c)
}

fn client(jwt: JwtAuth) -> TestClient<App> {
    TestClient::new(App::new(AppSingletons { jwt }))
}

fn hs_client() -> TestClient<App> {
    client(
        JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .build()
            .unwrap(),
    )
}

async fn get(c: &TestClient<App>, auth: Option<&str>) -> kiln::TestResponse {
    let mut req = c.get("/me");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await
}

async fn with_token(c: &TestClient<App>, t: &str) -> kiln::TestResponse {
    get(c, Some(&format!("Bearer {t}"))).await
}

fn assert_invalid(res: &kiln::TestResponse, description: &str) {
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{description}");
    assert_eq!(
        res.header("www-authenticate"),
        Some(
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"").as_str()
        )
    );
}

#[tokio::test]
async fn missing_or_non_bearer_credentials_are_401_with_a_challenge() {
    let c = hs_client();
    for auth in [
        None,
        Some("Basic YWRhOnB3"),
        Some("Bearer"),
        Some("Bearer "),
    ] {
        let res = get(&c, auth).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    }
    // Routes without the middleware are public.
    assert_eq!(c.get("/").send().await.text(), "public");
}

#[tokio::test]
async fn a_valid_token_provides_claims_downstream() {
    let c = hs_client();
    let t = hs256(&claims(&json!({})));
    let res = with_token(&c, &t).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "ada admin");
    // The scheme is case-insensitive.
    let res = get(&c, Some(&format!("bearer {t}"))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalid_tokens_are_403_invalid_token() {
    let c = hs_client();
    assert_invalid(&with_token(&c, "not-a-jwt").await, "malformed token");
    let wrong_key = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"another secret, also 32 bytes!!!"),
        None,
        &claims(&json!({})),
    );
    assert_invalid(&with_token(&c, &wrong_key).await, "bad signature");
    // Change one signature character well inside it: the last one may only
    // carry padding bits, and the replacement must differ from the original.
    let valid = hs256(&claims(&json!({})));
    let at = valid.len() - 10;
    let swap = if valid.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{swap}{}", &valid[..at], &valid[at + 1..]);
    assert_ne!(tampered, valid);
    assert_eq!(
        with_token(&c, &tampered).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn exp_and_nbf_are_checked_with_leeway() {
    let c = hs_client();
    let expired = hs256(&claims(&json!({ "exp": now() - 120 })));
    assert_invalid(&with_token(&c, &expired).await, "token expired");
    // Within the default 30 s leeway.
    let just_expired = hs256(&claims(&json!({ "exp": now() - 5 })));
    assert_eq!(with_token(&c, &just_expired).await.status(), StatusCode::OK);
    let future = hs256(&claims(&json!({ "nbf": now() + 120 })));
    assert_invalid(&with_token(&c, &future).await, "token not yet valid");
    // `exp` is required.
    let no_exp = hs256(&claims(&json!({ "exp": null })));
    assert_invalid(&with_token(&c, &no_exp).await, "missing required claim");
}

#[tokio::test]
async fn issuer_and_audience_must_match_and_are_required() {
    let c = client(
        JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .issuer("https://auth.example")
            .audience("api")
            .build()
            .unwrap(),
    );
    let good = hs256(&claims(
        &json!({ "iss": "https://auth.example", "aud": ["api", "x"] }),
    ));
    assert_eq!(with_token(&c, &good).await.status(), StatusCode::OK);
    let bad_iss = hs256(&claims(
        &json!({ "iss": "https://evil.example", "aud": "api" }),
    ));
    assert_invalid(&with_token(&c, &bad_iss).await, "wrong issuer");
    let bad_aud = hs256(&claims(
        &json!({ "iss": "https://auth.example", "aud": "other" }),
    ));
    assert_invalid(&with_token(&c, &bad_aud).await, "wrong audience");
    let no_iss = hs256(&claims(&json!({ "aud": "api" })));
    assert_invalid(&with_token(&c, &no_iss).await, "missing required claim");
}

#[tokio::test]
async fn the_none_algorithm_is_rejected() {
    let c = hs_client();
    // {"alg":"none","typ":"JWT"} . claims . (empty signature)
    let b64 = |v: &serde_json::Value| {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = serde_json::to_vec(v).unwrap();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(&json!({})))
    );
    let res = with_token(&c, &none).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn algorithms_are_pinned_no_hs_rs_confusion() {
    // The server verifies RS256 with a public key. An attacker signs HS256
    // using the public key's PEM bytes as the HMAC secret.
    let c = client(
        JwtAuth::builder()
            .key(JwtKey::rsa_pem(
                Algorithm::RS256,
                keys::RSA_PUBLIC.as_bytes(),
            ))
            .build()
            .unwrap(),
    );
    let forged = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(keys::RSA_PUBLIC.as_bytes()),
        None,
        &claims(&json!({})),
    );
    assert_invalid(&with_token(&c, &forged).await, "algorithm not allowed");
    // A PS256 token is not accepted by an RS256-only key either...
    let rsa = EncodingKey::from_rsa_pem(keys::RSA_PRIVATE.as_bytes()).unwrap();
    let ps = token(Algorithm::PS256, &rsa, None, &claims(&json!({})));
    assert_invalid(&with_token(&c, &ps).await, "algorithm not allowed");
    // ...unless the key allows it.
    let c = client(
        JwtAuth::builder()
            .key(
                JwtKey::rsa_pem(Algorithm::RS256, keys::RSA_PUBLIC.as_bytes())
                    .also(Algorithm::PS256),
            )
            .build()
            .unwrap(),
    );
    assert_eq!(with_token(&c, &ps).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_supported_algorithm_verifies() {
    let rsa = EncodingKey::from_rsa_pem(keys::RSA_PRIVATE.as_bytes()).unwrap();
    let ec = EncodingKey::from_ec_pem(keys::EC_PRIVATE.as_bytes()).unwrap();
    let ed = EncodingKey::from_ed_pem(keys::ED_PRIVATE.as_bytes()).unwrap();
    let secret = EncodingKey::from_secret(SECRET);
    let cases: Vec<(JwtKey, Algorithm, &EncodingKey)> = vec![
        (
            JwtKey::secret(Algorithm::HS256, SECRET),
            Algorithm::HS256,
            &secret,
        ),
        (
            JwtKey::secret(Algorithm::HS384, SECRET),
            Algorithm::HS384,
            &secret,
        ),
        (
            JwtKey::secret(Algorithm::HS512, SECRET),
            Algorithm::HS512,
            &secret,
        ),
        (
            JwtKey::rsa_pem(Algorithm::RS256, keys::RSA_PUBLIC.as_bytes()),
            Algorithm::RS256,
            &rsa,
        ),
        (
            JwtKey::rsa_pem(Algorithm::PS256, keys::RSA_PUBLIC.as_bytes()),
            Algorithm::PS256,
            &rsa,
        ),
        (
            JwtKey::ec_pem(Algorithm::ES256, keys::EC_PUBLIC.as_bytes()),
            Algorithm::ES256,
            &ec,
        ),
        (
            JwtKey::ed_pem(keys::ED_PUBLIC.as_bytes()),
            Algorithm::EdDSA,
            &ed,
        ),
    ];
    for (key, alg, enc) in cases {
        let c = client(JwtAuth::builder().key(key).build().unwrap());
        let t = token(alg, enc, None, &claims(&json!({})));
        let res = with_token(&c, &t).await;
        assert_eq!(res.status(), StatusCode::OK, "{alg:?}");
        assert_eq!(res.text(), "ada admin");
    }
}

#[tokio::test]
async fn jwks_keys_are_selected_by_kid() {
    let rsa = EncodingKey::from_rsa_pem(keys::RSA_PRIVATE.as_bytes()).unwrap();
    let ec = EncodingKey::from_ec_pem(keys::EC_PRIVATE.as_bytes()).unwrap();
    let mut rsa_jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&rsa, Algorithm::RS256).unwrap();
    rsa_jwk.common.key_id = Some("rsa-1".into());
    let mut ec_jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&ec, Algorithm::ES256).unwrap();
    ec_jwk.common.key_id = Some("ec-1".into());
    let doc = serde_json::to_string(&json!({ "keys": [rsa_jwk, ec_jwk] })).unwrap();
    let c = client(JwtAuth::builder().jwks(&doc).build().unwrap());
    let t = token(Algorithm::RS256, &rsa, Some("rsa-1"), &claims(&json!({})));
    assert_eq!(with_token(&c, &t).await.status(), StatusCode::OK);
    let t = token(Algorithm::ES256, &ec, Some("ec-1"), &claims(&json!({})));
    assert_eq!(with_token(&c, &t).await.status(), StatusCode::OK);
    // A kid naming another key's algorithm, or an unknown kid, fails.
    let t = token(Algorithm::RS256, &rsa, Some("ec-1"), &claims(&json!({})));
    assert_invalid(&with_token(&c, &t).await, "unknown key id");
    let t = token(Algorithm::RS256, &rsa, Some("rsa-2"), &claims(&json!({})));
    assert_invalid(&with_token(&c, &t).await, "unknown key id");
}

#[tokio::test]
async fn rfc6750_status_for_invalid_tokens_is_configurable() {
    let c = client(
        JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .invalid_token_status(StatusCode::UNAUTHORIZED)
            .realm("api")
            .build()
            .unwrap(),
    );
    let res = with_token(&c, "x.y.z").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(
        get(&c, None).await.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
}

/// Claims of the application's own type through `JwtAuth::verify`.
#[derive(serde::Deserialize)]
struct MyClaims {
    sub: String,
    role: String,
}

#[middleware(priority = -20, pre_route)]
fn auth(jwt: &JwtAuth, req: &Request) -> Result<MyClaims, JwtRejection> {
    jwt.verify(req)
}

#[handler]
fn mine(c: &MyClaims) -> String {
    format!("{}:{}", c.sub, c.role)
}

chain! {
    struct Custom;
    singletons { jwt: JwtAuth }
    middleware { auth }
    routes { GET "/me" => mine }
}

#[tokio::test]
async fn custom_claims_through_verify() {
    let jwt = JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET))
        .build()
        .unwrap();
    let c = TestClient::new(Custom::new(CustomSingletons { jwt }));
    let t = hs256(&claims(&json!({})));
    let res = c
        .get("/me")
        .header("authorization", &format!("Bearer {t}"))
        .send()
        .await;
    assert_eq!(res.text(), "ada:admin");
    assert_eq!(c.get("/me").send().await.status(), StatusCode::UNAUTHORIZED);
}

/// Claims that `JwtAuth::issue` signs and the app reads back, typed.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Session {
    sub: String,
    role: String,
}

#[middleware(priority = -20, pre_route)]
fn maybe_session(jwt: &JwtAuth, req: &Request) -> Result<Option<Session>, JwtRejection> {
    jwt.verify_optional(req)
}

// kiln injects the middleware's `Option<Session>` output by reference.
#[allow(clippy::ref_option)]
#[handler]
fn who(s: &Option<Session>) -> String {
    s.as_ref()
        .map_or_else(|| "anonymous".to_owned(), |s| s.sub.clone())
}

chain! {
    struct Optional;
    singletons { jwt: JwtAuth }
    routes {
        GET "/who" => who with [maybe_session],
        GET "/me" => me with [kiln::builtin::JwtAuth],
    }
}

fn token_jwt() -> JwtAuth {
    JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET).kid("k1"))
        .scheme("Token")
        .issuer("https://conduit.example")
        .token_lifetime(std::time::Duration::from_mins(2))
        .invalid_token_status(StatusCode::UNAUTHORIZED)
        .build()
        .unwrap()
}

fn token_scheme(jwt: &JwtAuth) -> TestClient<Optional> {
    TestClient::new(Optional::new(OptionalSingletons { jwt: jwt.clone() }))
}

#[tokio::test]
async fn a_configured_scheme_is_read_and_named_in_challenges() {
    let jwt = &token_jwt();
    let c = token_scheme(jwt);
    let t = jwt
        .issue(&Session {
            sub: "ada".into(),
            role: "admin".into(),
        })
        .unwrap();
    let res = c
        .get("/me")
        .header("authorization", &format!("Token {t}"))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "ada admin");
    // The Bearer scheme is now foreign: no credentials, and the challenge says `Token`.
    let res = c
        .get("/me")
        .header("authorization", &format!("Bearer {t}"))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("www-authenticate"), Some("Token"));
    let res = c
        .get("/me")
        .header("authorization", "Token not.a.jwt")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Token error=\"invalid_token\", error_description=\"malformed token\"")
    );
}

#[tokio::test]
async fn issued_tokens_carry_exp_iat_iss_kid_and_verify() {
    #[derive(serde::Deserialize)]
    struct Role {
        role: String,
    }
    let jwt = &token_jwt();
    let t = jwt
        .issue(&Session {
            sub: "ada".into(),
            role: "reader".into(),
        })
        .unwrap();
    let header = jsonwebtoken::decode_header(&t).unwrap();
    assert_eq!(
        (header.alg, header.kid.as_deref()),
        (Algorithm::HS256, Some("k1"))
    );
    let claims: JwtClaims = jwt.decode(&t).unwrap();
    let (iat, exp) = (claims.iat.unwrap(), claims.exp.unwrap());
    assert_eq!(exp - iat, 120);
    assert!(iat.abs_diff(now()) <= 5);
    assert_eq!(claims.iss.as_deref(), Some("https://conduit.example"));
    let typed: Session = jwt.decode(&t).unwrap();
    assert_eq!(
        typed,
        Session {
            sub: "ada".into(),
            role: "reader".into()
        }
    );
    // The typed accessor of the built-in claims reads the non-registered ones.
    assert_eq!(claims.extra_as::<Role>().unwrap().role, "reader");
    // A token signed with another secret does not verify.
    let other = JwtAuth::builder()
        .key(JwtKey::secret(
            Algorithm::HS256,
            b"another secret of at least 32 bytes",
        ))
        .build()
        .unwrap();
    let forged = other
        .issue(&Session {
            sub: "eve".into(),
            role: "admin".into(),
        })
        .unwrap();
    assert_eq!(
        jwt.decode::<JwtClaims>(&forged).unwrap_err().reason(),
        "bad signature"
    );
}

#[tokio::test]
async fn optional_auth_is_anonymous_without_a_token_and_rejects_a_bad_one() {
    let jwt = &token_jwt();
    let c = token_scheme(jwt);
    assert_eq!(c.get("/who").send().await.text(), "anonymous");
    let t = jwt
        .issue(&Session {
            sub: "ada".into(),
            role: "r".into(),
        })
        .unwrap();
    let res = c
        .get("/who")
        .header("authorization", &format!("Token {t}"))
        .send()
        .await;
    assert_eq!(res.text(), "ada");
    let expired = jwt
        .issue(&json!({"sub": "ada", "role": "r", "exp": now() - 3600}))
        .unwrap();
    let res = c
        .get("/who")
        .header("authorization", &format!("Token {expired}"))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Token error=\"invalid_token\", error_description=\"token expired\"")
    );
}

#[test]
fn issuing_needs_an_hmac_key_and_object_claims_and_schemes_are_words() {
    let rsa = JwtAuth::builder()
        .key(JwtKey::rsa_pem(
            Algorithm::RS256,
            keys::RSA_PUBLIC.as_bytes(),
        ))
        .build()
        .unwrap();
    assert_eq!(
        rsa.issue(&json!({"sub": "x"})),
        Err(kiln::builtin::JwtIssueError::NoSigningKey)
    );
    let hs = JwtAuth::builder()
        .key(JwtKey::secret(Algorithm::HS256, SECRET))
        .build()
        .unwrap();
    assert_eq!(
        hs.issue(&"a string"),
        Err(kiln::builtin::JwtIssueError::NotAnObject)
    );
    for bad in ["", "Two words", "Tok\"en"] {
        let e = JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .scheme(bad)
            .build()
            .unwrap_err();
        assert!(e.message().contains("must be one word"), "{bad}: {e}");
    }
}

mod keys {
    //! Test-only key pairs, generated with `openssl genpkey` for these tests.
    pub(crate) const RSA_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDbJRJdOsAKUS3b
ZYVSWHqmyvySqVUVmOcT7EETJc4Do7ryEqmxBoZlCEqz2p10AM1QPi1OTUzsfxjg
UwM4YINtqeyw0yKIBUk8bfDR5ytpMPJTkYYrCXPt6tBYUiB11yM5JZ+fljS1uAzf
bgr2GEJrAjdBJBwo515o2zZ0RVSQHknMcfD4tva0YEI+ghCWXIULeQMYmDGZbNnI
f61PPNK1k+8kHMv1Mew4+kGgdKSpDtVSBQBJTYeCj1SHI9dnttbFLhDhESKtn8AE
dZa7zCXE6vMWZDu8VJ5hI8242dXbhtCAhB3kH8pvrMJNYD0zkfLAqw+bo+y0lxJz
S+2KFamnAgMBAAECggEABUkhyaZugM2ldAHBBRPweddO++tFxJj6QIZD/uKDYZ4X
iKEU8QuGojWLRJxGjIFYq0pq2v/NTspRxh4G55RDB0S5IX4KpVh2Z82sKHvt3Lsp
VSF0fe/NtaLbb0bO8Up2usBNZWEPJvavUwXXvGVE1/QDc3/UorbSXL1tRsFwOhnW
XHWjW6udt3jGplcTHZFulnvQSbTxYe8mGqfPFOv9m9SCeb/72qfJbiJV1VqMfutZ
JCm9YSB7zA0k9BwxgrtxUoldsoSGM33+4vUqWOKYRafwch4uw2oUGeXWeB/0T4Mb
ol0YhLrx7vlHErT/SAkWyLhb8a7wowDUnyqAfUXtwQKBgQD779qKNkhKMdCLcPP8
6UkRMMwyTC2Fz61aqzBb4BQgvLYjvl8KEPavQthx+J4en97pE9IGGOO8ZM4rxsLb
wHOmfjn7A2kS8ImODRDlhTSyhpVBUdsgs65v8HTPGZFWzQFU7w7fPBSswBfzuJkv
+R16Ius0gU+AKLqqQQZkhYdsQQKBgQDerdUktJSm2HEV6Zuya1DqMPdQcJbC5SF2
PSW4n2+LP/PsYB2SGjOKYxB17AeQsZ+yBQgW3fmp2PrN1mznIjM1pJWzsC8spO7e
ocstD9KZk4p3DRZBomumyGYqQZIdFzLx3oS/iOsvXqS3MNCy2q6IbammpEk7x/x2
Tf/O2vA75wKBgBZpYeGFrqya/dhJtgq7nfpfguq+iBYtQVidffHOXzwCTZmkZ8P3
elpg8exBl59VzXiigL52HFw4A3c1eUQfPKqE9Bd2WDSNHU97rhMc5HE1M7XZ2Epy
cYQXuexqc9lq50Fs+r+1EonDlN3jgA0adhrVXGMRVccq2GAo5K6wijmBAoGBAJVG
92IZ5KVM59KGvqeHJcE5fjHgqFCTBjGboFP6He69uqm1bV1qTy7wZjKHPjMTwDi5
AslBmYLxQIEIxAzWcnn9kZXaAGXvU2rQD8JvnwDxVZulnEv3tC8knMirGGaEDNT0
FQ3JndAtpEJiaSXdT6+JxHdAHxACaw5sD5b+Upn1AoGAVZqK+disDiOEoUYY6kXG
De+1aMdrnbVMcg6mEiRG2TCV3C7jN5NwHQ7wuHjZIKWp2pLDYsuQ8RYeFpCqy7NV
mJILKbS2VF5eTV2F7hbHhP4r+8gBlxxyN89N9hRjjMIk3msJtJf3LDPqcBz7hDTG
vayJpjSEm9ebCEGvoN87Ck0=
-----END PRIVATE KEY-----
";

    pub(crate) const RSA_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2yUSXTrAClEt22WFUlh6
psr8kqlVFZjnE+xBEyXOA6O68hKpsQaGZQhKs9qddADNUD4tTk1M7H8Y4FMDOGCD
banssNMiiAVJPG3w0ecraTDyU5GGKwlz7erQWFIgddcjOSWfn5Y0tbgM324K9hhC
awI3QSQcKOdeaNs2dEVUkB5JzHHw+Lb2tGBCPoIQllyFC3kDGJgxmWzZyH+tTzzS
tZPvJBzL9THsOPpBoHSkqQ7VUgUASU2Hgo9UhyPXZ7bWxS4Q4REirZ/ABHWWu8wl
xOrzFmQ7vFSeYSPNuNnV24bQgIQd5B/Kb6zCTWA9M5HywKsPm6PstJcSc0vtihWp
pwIDAQAB
-----END PUBLIC KEY-----
";

    pub(crate) const EC_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAV9d669tSKOiuTcw
tu85UkkSQ1r1MBY5lYszQvDngGmhRANCAASaw0chJq3bT4OYzbKqsq/ZWuv+eEED
W9jc0LUL7c1RezJ2dATK3rTQyNu8QJvm1xQclcdpi9wWp674N4uCdGQr
-----END PRIVATE KEY-----
";

    pub(crate) const EC_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmsNHISat20+DmM2yqrKv2Vrr/nhB
A1vY3NC1C+3NUXsydnQEyt600MjbvECb5tcUHJXHaYvcFqeu+DeLgnRkKw==
-----END PUBLIC KEY-----
";

    pub(crate) const ED_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIcwjtH7aaQVSa6svkC3/l8L1DF4RdM8M9VQsoT0JVmP
-----END PRIVATE KEY-----
";

    pub(crate) const ED_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA+MdDL0iJ0wFtoG6pIEOOKe//41U3AEgch5BG5mSx0bg=
-----END PUBLIC KEY-----
";
}
