//! The axum 0.8 + tower-http peer, written the way the axum docs show:
//! `Router` with extractors, tower-http layers in a `ServiceBuilder`,
//! `tower_governor` for rate limiting, `from_fn` for ad-hoc middleware,
//! `State` and `FromRequestParts` extractors for DI; tower-http's `ServeDir`
//! for `files` and `CompressionLayer` for `compression`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use tower::ServiceBuilder;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::cors::CorsLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::super::files;
use super::super::fixtures::{
    self, AuthError, Claims, Config, Counter, DEPTH_HEADERS, DEPTH_KEY, HELLO, Lookup, ORIGIN,
    REQUEST_ID, Repo, SECURITY_HEADERS, SESSION_HEADER, Search, Session, User,
};
use super::super::scenario::{DEPTHS, Scenario};
use super::super::server::{ServeError, ServerArgs, bind, init_access_log, tokio_runtime};

/// Serves `args.scenario` until killed.
///
/// # Errors
/// [`ServeError::Unsupported`] for a `--depth` other than 1, 5, 10 or 20
/// (each depth is a differently typed stack).
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let router = match args.scenario {
        Scenario::Db | Scenario::Tx => return super::axum_db::serve(args),
        Scenario::Realworld => return super::super::realworld::axum::serve(args),
        Scenario::Shop => return super::super::shop::axum::serve(args),
        Scenario::Basic => basic(),
        Scenario::Middleware => {
            init_access_log();
            middleware()
        }
        Scenario::MiddlewareDepth => depth(args.depth)?,
        Scenario::Di => di(),
        Scenario::Files => files_router()?,
        Scenario::Compression => compression(),
        Scenario::Cache => super::super::cache::axum::router(),
        Scenario::RatelimitRedis => super::super::ratelimit::axum::router(args.limiter)?,
        Scenario::Tasks => {
            return Err(ServeError::Unsupported(
                "axum has no task queue (the tasks scenario is kiln's alone)".into(),
            ));
        }
        Scenario::Validation => super::super::validation::axum::router(),
        Scenario::Async => super::super::upstream::axum::router()?,
    };
    let needs_peer = matches!(
        args.scenario,
        Scenario::Middleware | Scenario::RatelimitRedis
    );
    let port = args.port;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // Spawned so that all the work runs on the worker threads. Only the
        // rate limiter needs the peer address (`ConnectInfo`).
        let server = tokio::spawn(async move {
            if needs_peer {
                let app = router.into_make_service_with_connect_info::<SocketAddr>();
                axum::serve(listener, app).await
            } else {
                axum::serve(listener, router).await
            }
        });
        server.await.map_err(std::io::Error::other)?
    })?;
    Ok(())
}

// ------------------------------------------------------------------ basic

async fn hello() -> &'static str {
    HELLO
}

fn basic() -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/json", get(|| async { Json(fixtures::MESSAGE) }))
        .route(
            "/users/{id}",
            get(|Path(id): Path<u64>| async move { Json(User::new(id)) }),
        )
        .route(
            "/search",
            get(|Query(q): Query<Search>| async move { Json(q) }),
        )
}

// ------------------------------------------------------------- middleware

/// The verified bearer token of a request (the JWT middleware of `/protected`).
struct Bearer(Claims);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let auth = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        match fixtures::verify_bearer(auth) {
            Ok(claims) => Ok(Bearer(claims)),
            Err(AuthError::Missing) => Err((
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response()),
            Err(AuthError::Invalid) => Err(StatusCode::FORBIDDEN.into_response()),
        }
    }
}

async fn protected(Bearer(claims): Bearer) -> String {
    fixtures::protected_body(&claims.sub)
}

fn middleware() -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(ORIGIN))
        .allow_methods([Method::GET])
        .allow_credentials(false);
    let governor = GovernorConfigBuilder::default()
        .per_nanosecond(1)
        .burst_size(u32::MAX)
        .finish()
        .expect("a valid governor quota");
    let [hsts, nosniff, frame, csp, referrer] = SECURITY_HEADERS.map(|(name, value)| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    });
    let stack = ServiceBuilder::new()
        .layer(cors)
        // CORS needs a `Default` response body, which tracing's body wrapper is not.
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(hsts)
        .layer(nosniff)
        .layer(frame)
        .layer(csp)
        .layer(referrer)
        .layer(GovernorLayer::new(Arc::new(governor)));
    Router::new()
        .route("/", get(hello))
        .route("/protected", get(protected))
        .layer(stack)
}

// ------------------------------------------------------- middleware-depth

/// Middleware `I`: requires the `x-key` header, stamps `x-mw-<I>: 1`.
async fn check_and_stamp<const I: usize>(req: Request, next: Next) -> Result<Response, StatusCode> {
    if !req.headers().contains_key(DEPTH_KEY) {
        return Err(StatusCode::FORBIDDEN);
    }
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        HeaderName::from_static(DEPTH_HEADERS[I]),
        HeaderValue::from_static("1"),
    );
    Ok(res)
}

/// `GET /` behind `from_fn` layers stacked with one `ServiceBuilder` (as the
/// axum docs recommend), listed outermost first.
macro_rules! depth_router {
    ($($i:literal)*) => {
        Router::new()
            .route("/", get(hello))
            .layer(ServiceBuilder::new()$(.layer(from_fn(check_and_stamp::<$i>)))*)
    };
}

fn depth(n: usize) -> Result<Router, ServeError> {
    Ok(match n {
        1 => depth_router!(0),
        5 => depth_router!(0 1 2 3 4),
        10 => depth_router!(0 1 2 3 4 5 6 7 8 9),
        20 => depth_router!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19),
        d => {
            return Err(ServeError::Unsupported(format!(
                "axum builds middleware-depth for depths {DEPTHS:?} only, not {d}"
            )));
        }
    })
}

// --------------------------------------------------------------------- di

/// The singletons, shared through `State`.
#[derive(Clone)]
struct Services {
    config: Arc<Config>,
    counter: Arc<Counter>,
    repo: Arc<Repo>,
}

/// Request-scoped: built by the async constructor from `x-user`.
struct SessionX(Session);

impl<S: Send + Sync> FromRequestParts<S> for SessionX {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let header = parts.headers.get(SESSION_HEADER).map(HeaderValue::as_bytes);
        Session::load(header)
            .await
            .map(SessionX)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

/// Request-scoped: the `id` query parameter.
struct LookupX(Lookup);

impl<S: Send + Sync> FromRequestParts<S> for LookupX {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        Lookup::parse(parts.uri.query())
            .map(LookupX)
            .ok_or(StatusCode::BAD_REQUEST)
    }
}

async fn di_handler(
    State(s): State<Services>,
    SessionX(session): SessionX,
    LookupX(lookup): LookupX,
) -> Response {
    match fixtures::di_reply(&s.config, &s.counter, &s.repo, &session, lookup) {
        Some(reply) => Json(reply).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn di() -> Router {
    Router::new()
        .route("/di", get(di_handler))
        .with_state(Services {
            config: Arc::new(Config::default()),
            counter: Arc::new(Counter::default()),
            repo: Arc::new(Repo::default()),
        })
}

// ------------------------------------------------------------ files, compression

fn files_router() -> Result<Router, ServeError> {
    let dir = files::dir()?;
    Ok(Router::new().nest_service("/files", tower_http::services::ServeDir::new(dir)))
}

async fn big_json() -> Response {
    let body: &'static str = files::BIG_JSON.as_str();
    ([(header::CONTENT_TYPE, fixtures::JSON)], body).into_response()
}

fn compression() -> Router {
    use tower_http::CompressionLevel;
    use tower_http::compression::CompressionLayer;
    // Level 4 for gzip and brotli, as every peer is configured.
    Router::new()
        .route("/json-100k", get(big_json))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
}
