//! The kiln peer: `chain!` apps served by `kiln::serve(app).listen(..)`, for
//! every scenario: `basic`, `middleware` (the `kiln::builtin` stack),
//! `middleware-depth` (1, 5, 10, 20), `di`, `files` (`kiln::fs::StaticDir`)
//! and `compression` (`kiln::builtin::Compression`).

use kiln::prelude::*;

use super::super::files;
use super::super::fixtures::{
    self, Config, Counter, DEPTH_HEADERS, DEPTH_KEY, HELLO, Lookup, Message, Repo, SESSION_HEADER,
    Search, Session, User,
};
use super::super::scenario::{DEPTHS, Scenario};
use super::super::server::{ServeError, ServerArgs, bind, init_kiln_access_log, tokio_runtime};

/// Serves `args.scenario` until killed.
///
/// # Errors
/// [`ServeError::Unsupported`] for a `--depth` other than 1, 5, 10 or 20
/// (each depth is its own chain).
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    match args.scenario {
        Scenario::Db | Scenario::Tx => super::kiln_db::serve(args),
        // The harness runs `examples/conduit` and `examples/shop` themselves for these.
        Scenario::Realworld => Err(ServeError::Unsupported(
            "realworld is served by kiln's examples/conduit binary, not server_kiln".into(),
        )),
        Scenario::Shop => Err(ServeError::Unsupported(
            "shop is served by kiln's examples/shop binary, not server_kiln".into(),
        )),
        Scenario::Cache => run(args, super::super::cache::kiln::app()),
        Scenario::RatelimitRedis => super::super::ratelimit::kiln::serve(args),
        Scenario::Tasks => super::super::tasks::kiln::serve(args),
        Scenario::Validation => run(args, super::super::validation::kiln::app()),
        Scenario::Async => run(args, super::super::upstream::kiln::app()?),
        Scenario::Basic => run(args, Basic::new()),
        Scenario::Middleware => {
            init_kiln_access_log();
            run(args, stack::app())
        }
        Scenario::MiddlewareDepth => match args.depth {
            1 => run(args, Depth1::new()),
            5 => run(args, Depth5::new()),
            10 => run(args, Depth10::new()),
            20 => run(args, Depth20::new()),
            d => Err(ServeError::Unsupported(format!(
                "kiln builds middleware-depth for depths {DEPTHS:?} only, not {d}"
            ))),
        },
        Scenario::Di => run(
            args,
            Di::new(DiSingletons {
                config: Config::default(),
                counter: Counter::default(),
                repo: Repo::default(),
            }),
        ),
        Scenario::Files => {
            // `KILN_BENCH_FS_POOL=1` keeps the default (every file hop on the blocking pool).
            let inline = std::env::var_os("KILN_BENCH_FS_POOL").is_none();
            let dir = kiln::fs::StaticDir::builder(files::dir()?)
                .inline_io(inline)
                .build()
                .map_err(std::io::Error::other)?;
            run(args, Files::new(FilesSingletons { assets: dir }))
        }
        Scenario::Compression => {
            // Level 4 for both, as every peer is configured.
            let compression = kiln::builtin::Compression::builder()
                .level(kiln::ContentCoding::Gzip, 4)
                .level(kiln::ContentCoding::Brotli, 4)
                .build()
                .map_err(std::io::Error::other)?;
            run(args, Compressed::new(CompressedSingletons { compression }))
        }
    }
}

// ------------------------------------------------------------ files, compression

chain! {
    struct Files;
    singletons { assets: kiln::fs::StaticDir }
    routes { GET "/files/{*path}" => kiln::fs::dir }
}

#[handler]
fn big_json() -> Response {
    let body: &'static str = files::BIG_JSON.as_str();
    ([(kiln::http::header::CONTENT_TYPE, fixtures::JSON)], body).into_response()
}

chain! {
    struct Compressed;
    singletons { compression: kiln::builtin::Compression }
    middleware { kiln::builtin::Compression }
    routes { GET "/json-100k" => big_json }
}

fn run<A: kiln::App>(args: &ServerArgs, app: A) -> Result<(), ServeError> {
    let port = args.port;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?;
        // Spawned so that all the work runs on the worker threads.
        tokio::spawn(kiln::serve(app).listen(listener))
            .await
            .map_err(std::io::Error::other)?
    })?;
    Ok(())
}

// ------------------------------------------------------------------ basic

#[handler]
fn hello() -> &'static str {
    HELLO
}

#[handler]
fn json() -> Json<Message> {
    Json(fixtures::MESSAGE)
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User::new(id))
}

#[handler]
fn search(Query(q): Query<Search>) -> Json<Search> {
    Json(q)
}

chain! {
    /// `basic`: hello, JSON, a path parameter, a query string.
    pub struct Basic;
    routes {
        GET "/" => hello,
        GET "/json" => json,
        GET "/users/{id}" => user,
        GET "/search" => search,
    }
}

// ------------------------------------------------------------- middleware

/// The `middleware` scenario: the built-ins configured like the peers' stacks
/// (same origin, same security headers, a rate limit that never rejects, JWT
/// HS256 on `/protected` only).
mod stack {
    use std::time::Duration;

    use kiln::builtin::{
        AccessLog, Algorithm, Cors, JwtAuth, JwtClaims, JwtKey, Quota, RateLimit, RequestIds,
        SecurityHeaders,
    };
    use kiln::prelude::*;

    use super::super::super::fixtures::{self, HELLO, JWT_SECRET, ORIGIN, SECURITY_HEADERS};

    #[handler]
    fn public() -> &'static str {
        HELLO
    }

    #[handler]
    fn protected(claims: &JwtClaims) -> String {
        fixtures::protected_body(claims.sub.as_deref().unwrap_or_default())
    }

    chain! {
        /// The built-in stack around a public and a protected route.
        pub struct Stack;
        singletons {
            cors: Cors,
            ids: RequestIds,
            log: AccessLog,
            security: SecurityHeaders,
            limit: RateLimit,
            jwt: JwtAuth,
        }
        middleware {
            kiln::builtin::Cors,
            kiln::builtin::RequestIds,
            kiln::builtin::AccessLog,
            kiln::builtin::SecurityHeaders,
            kiln::builtin::RateLimit,
        }
        routes {
            GET "/" => public,
            GET "/protected" => protected with [kiln::builtin::JwtAuth],
        }
    }

    /// # Panics
    /// If a fixed configuration is invalid (a bug in this file).
    pub(super) fn app() -> Stack {
        let cors = Cors::builder()
            .allow_origin(ORIGIN)
            .allow_methods([Method::GET])
            .build()
            .expect("CORS config");
        let value = |name: &str| {
            SECURITY_HEADERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        };
        let security = SecurityHeaders::builder()
            .strict_transport_security(value("strict-transport-security"))
            .content_type_options(value("x-content-type-options"))
            .frame_options(value("x-frame-options"))
            .content_security_policy(value("content-security-policy"))
            .referrer_policy(value("referrer-policy"))
            .permissions_policy(None)
            .cross_origin_opener_policy(None)
            .build()
            .expect("security headers config");
        // Like the peers' governor quotas: one cell per nanosecond, a burst
        // far above what a run sends, so nothing is ever rejected.
        let limit = RateLimit::builder()
            .quota(Quota::with_period(Duration::from_nanos(1)).burst(u32::MAX))
            .build()
            .expect("rate limit config");
        let jwt = JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, JWT_SECRET))
            .build()
            .expect("JWT config");
        Stack::new(StackSingletons {
            cors,
            ids: RequestIds::new(),
            log: AccessLog::new(),
            security,
            limit,
            jwt,
        })
    }
}

// ------------------------------------------------------- middleware-depth

/// Pre hook `i`: requires the `x-key` header.
fn check(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key(DEPTH_KEY) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

/// Post hook `i`: stamps `x-mw-<i>: 1`.
fn stamp(res: &mut Response, i: usize) {
    res.headers_mut().insert(
        kiln::http::HeaderName::from_static(DEPTH_HEADERS[i]),
        kiln::http::HeaderValue::from_static("1"),
    );
}

macro_rules! depth_middleware {
    ($($pre:ident, $post:ident = $i:literal),* $(,)?) => {$(
        /// Requires `x-key` (a pre hook).
        #[middleware(priority = $i, pre_route)]
        fn $pre(req: &Request) -> Result<(), StatusCode> {
            check(req)
        }
        /// Stamps this middleware's header (a post hook of the same priority).
        #[middleware(priority = $i, post_route)]
        fn $post(res: &mut Response) {
            stamp(res, $i);
        }
    )*};
}

depth_middleware!(
    pre0,
    post0 = 0,
    pre1,
    post1 = 1,
    pre2,
    post2 = 2,
    pre3,
    post3 = 3,
    pre4,
    post4 = 4,
    pre5,
    post5 = 5,
    pre6,
    post6 = 6,
    pre7,
    post7 = 7,
    pre8,
    post8 = 8,
    pre9,
    post9 = 9,
    pre10,
    post10 = 10,
    pre11,
    post11 = 11,
    pre12,
    post12 = 12,
    pre13,
    post13 = 13,
    pre14,
    post14 = 14,
    pre15,
    post15 = 15,
    pre16,
    post16 = 16,
    pre17,
    post17 = 17,
    pre18,
    post18 = 18,
    pre19,
    post19 = 19,
);

chain! {
    /// One middleware.
    pub struct Depth1;
    middleware { pre0, post0 }
    routes { GET "/" => hello }
}

chain! {
    /// Five middleware.
    pub struct Depth5;
    middleware { pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4 }
    routes { GET "/" => hello }
}

chain! {
    /// Ten middleware.
    pub struct Depth10;
    middleware {
        pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4,
        pre5, post5, pre6, post6, pre7, post7, pre8, post8, pre9, post9,
    }
    routes { GET "/" => hello }
}

chain! {
    /// Twenty middleware.
    pub struct Depth20;
    middleware {
        pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4,
        pre5, post5, pre6, post6, pre7, post7, pre8, post8, pre9, post9,
        pre10, post10, pre11, post11, pre12, post12, pre13, post13, pre14, post14,
        pre15, post15, pre16, post16, pre17, post17, pre18, post18, pre19, post19,
    }
    routes { GET "/" => hello }
}

// --------------------------------------------------------------------- di

/// Request-scoped, async: the session from `x-user` (401 without it).
#[provider]
async fn session(req: &Request) -> Result<Session, StatusCode> {
    let header = req
        .headers()
        .get(SESSION_HEADER)
        .map(kiln::http::HeaderValue::as_bytes);
    Session::load(header).await.ok_or(StatusCode::UNAUTHORIZED)
}

/// Request-scoped: the `id` query parameter (400 when bad).
#[provider]
fn lookup(req: &Request) -> Result<Lookup, StatusCode> {
    Lookup::parse(req.uri().query()).ok_or(StatusCode::BAD_REQUEST)
}

#[handler]
#[allow(clippy::trivially_copy_pass_by_ref)] // request-scoped values are injected by reference
fn di_handler(
    config: &Config,
    counter: &Counter,
    repo: &Repo,
    session: &Session,
    lookup: &Lookup,
) -> Result<Response, StatusCode> {
    fixtures::di_reply(config, counter, repo, session, *lookup)
        .map(|reply| Json(reply).into_response())
        .ok_or(StatusCode::NOT_FOUND)
}

chain! {
    /// `di`: three singletons and two request-scoped values.
    pub struct Di;
    singletons { config: Config, counter: Counter, repo: Repo }
    request { session, lookup }
    routes { GET "/di" => di_handler }
}
