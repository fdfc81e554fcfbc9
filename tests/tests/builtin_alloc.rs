//! Allocations added by the full built-in stack, counted by a counting global
//! allocator (`kiln_tests::Counting`, the documented `unsafe` exception).
//!
//! Result: the built-ins allocate nothing of their own per request. The two
//! header values that must be built per request (a generated request id and
//! the `Server-Timing` value) are cut from a per-thread 4 KiB slab: two
//! allocations per slab, one slab per ~85 requests. Text responses start with
//! room for 16 headers, so the stack's headers do not make the map grow. JWT
//! verification allocates what decoding needs, once per token: after that the
//! verified-token cache answers, and a hit allocates only the cloned claims'
//! `sub`.

// `chain!` generates `new` with one parameter per singleton: ten here.
#![allow(clippy::too_many_arguments)]

use std::time::Duration;

use kiln::builtin::{
    AccessLog, Algorithm, BodyLimit, CatchPanic, Cors, JwtAuth, JwtClaims, JwtKey, Quota,
    RateLimit, RequestIds, SecurityHeaders, ServerTiming, Timeout,
};
use kiln::prelude::*;

/// Counts allocations (`kiln_tests::Counting`, shared by the allocation tests).
#[global_allocator]
static GLOBAL: kiln_tests::Counting = kiln_tests::Counting;

#[handler]
fn text() -> &'static str {
    "hello"
}

#[handler]
fn me(claims: &JwtClaims) -> &'static str {
    if claims.sub.is_some() { "me" } else { "?" }
}

#[handler]
fn me_bare() -> &'static str {
    "me"
}

chain! {
    struct Bare;
    routes { GET "/text" => text, GET "/me" => me_bare }
}

chain! {
    struct Full;
    singletons {
        cors: Cors, ids: RequestIds, timing: ServerTiming, log: AccessLog,
        security: SecurityHeaders, catch: CatchPanic, timeout: Timeout,
        limit: BodyLimit, rate: RateLimit, jwt: JwtAuth,
    }
    middleware {
        kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::ServerTiming,
        kiln::builtin::AccessLog, kiln::builtin::SecurityHeaders, kiln::builtin::CatchPanic,
        kiln::builtin::Timeout, kiln::builtin::BodyLimit, kiln::builtin::RateLimit,
    }
    routes {
        GET "/text" => text,
        GET "/me" => me with [kiln::builtin::JwtAuth],
    }
}

const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";

fn full() -> Full {
    Full::new(FullSingletons {
        cors: Cors::builder()
            .allow_origin("https://app.example")
            .build()
            .unwrap(),
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_secs(30)).unwrap(),
        limit: BodyLimit,
        rate: RateLimit::builder()
            .quota(Quota::per_second(1_000_000))
            .build()
            .unwrap(),
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .build()
            .unwrap(),
    })
}

fn request(path: &str, auth: Option<&str>) -> Request {
    let mut req = TestClient::new(()).get(path).build();
    let h = req.headers_mut();
    h.insert(
        "origin",
        kiln::http::HeaderValue::from_static("https://app.example"),
    );
    if let Some(a) = auth {
        h.insert(
            "authorization",
            kiln::http::HeaderValue::from_str(a).unwrap(),
        );
    }
    req
}

/// Allocations made while handling `n` requests (request building and
/// response dropping are outside), on one reused connection.
async fn allocations<A: kiln::App>(app: &A, path: &str, auth: Option<&str>, n: usize) -> usize {
    let mut conn = kiln::Conn::default();
    // Warm up: the rate limiter's key, the slab, the tokio timer handle.
    for _ in 0..3 {
        drop(app.handle(request(path, auth), &mut conn).await);
        conn.reset();
    }
    let mut total = 0;
    for _ in 0..n {
        let req = request(path, auth);
        kiln_tests::start_thread();
        let res = app.handle(req, &mut conn).await;
        total += kiln_tests::stop_thread();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        drop(res);
        conn.reset();
    }
    total
}

#[tokio::test(flavor = "current_thread")]
#[allow(clippy::cast_precision_loss)] // counts are far below 2^52
async fn the_full_stack_adds_no_allocations_of_its_own() {
    const N: usize = 1000;
    let bare = Bare::new();
    let full = full();
    let bare_text = allocations(&bare, "/text", None, N).await;
    let full_text = allocations(&full, "/text", None, N).await;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &serde_json::json!({ "sub": "ada", "exp": 4_000_000_000u64 }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let auth = format!("Bearer {token}");
    let bare_me = allocations(&bare, "/me", Some(&auth), N).await;
    let full_me = allocations(&full, "/me", Some(&auth), N).await;
    let avg = |n: usize| n as f64 / N as f64;
    println!(
        "allocations per request over {N}: bare /text {:.2}, full /text {:.2} (+{:.3})",
        avg(bare_text),
        avg(full_text),
        avg(full_text - bare_text)
    );
    println!("JWT HS256 route +{:.2}", avg(full_me - bare_me));

    // Slab refills: 48 bytes per request (32-byte id + Server-Timing value)
    // out of 4 KiB, two allocations per slab.
    let slabs = 2 * (N * 48 / 4096 + 1);
    // Text responses start with room for 16 headers, so the stack adds only
    // the slab refills (its headers do not make the map grow).
    assert!(
        full_text - bare_text <= slabs,
        "full stack added {} allocations over {N} requests to a text response",
        full_text - bare_text
    );
    // The JWT route after the first request is a hit in the verified-token
    // cache: one allocation, the cloned claims' `sub` (verifying anew took
    // ten more: base64 buffers, the header and the claims decoded).
    assert!(
        full_me - bare_me <= N + slabs,
        "the JWT route added {} allocations over {N} requests",
        full_me - bare_me
    );
}
