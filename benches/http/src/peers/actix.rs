//! The actix-web 4 peer, written the way the actix docs show: `App` with
//! `web::Data` singletons and `FromRequest` extractors, actix-cors,
//! actix-governor, the built-in `Logger` and `DefaultHeaders`, and
//! `middleware::from_fn` for ad-hoc middleware. With `--h2c` it binds with
//! `bind_auto_h2c` (cleartext HTTP/2 beside HTTP/1.1).

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_cors::Cors;
use actix_governor::{Governor, GovernorConfigBuilder};
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{ErrorBadRequest, ErrorForbidden, ErrorUnauthorized};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Logger, Next, from_fn};
use actix_web::{App, Error, FromRequest, HttpRequest, HttpResponse, HttpServer, web};
use uuid::Uuid;

use super::super::files;
use super::super::fixtures::{
    self, AuthError, Claims, Config, Counter, DEPTH_HEADERS, DEPTH_KEY, HELLO, Lookup, ORIGIN,
    REQUEST_ID, Repo, SECURITY_HEADERS, SESSION_HEADER, Search, Session, TEXT, User,
};
use super::super::scenario::{DEPTHS, Scenario};
use super::super::server::{ServeError, ServerArgs, init_access_log};

/// Serves `args.scenario` until killed.
///
/// # Errors
/// [`ServeError::Unsupported`] for a `--depth` other than 1, 5, 10 or 20
/// (each depth is a differently typed `App`).
///
/// # Panics
/// If the governor quota is rejected (it is a fixed, valid quota).
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let addr = ("127.0.0.1", args.port);
    let workers = args.workers;
    let h2c = args.h2c;
    // `HttpServer::new` wants a factory closure; each scenario's `App` has its own type.
    // `--h2c` binds with actix's own protocol detection; without it, HTTP/1.1 only.
    macro_rules! run {
        ($factory:expr) => {{
            let server = HttpServer::new($factory).workers(workers);
            let server = if h2c {
                server.bind_auto_h2c(addr)?
            } else {
                server.bind(addr)?
            }
            .run();
            actix_web::rt::System::new().block_on(server)?;
            Ok(())
        }};
    }
    macro_rules! depth_app {
        ($($i:literal)*) => {
            run!(|| App::new().route("/", web::get().to(hello)) $(.wrap(from_fn(check_and_stamp::<$i, _>)))*)
        };
    }
    match args.scenario {
        Scenario::Db | Scenario::Tx => super::actix_db::serve(args),
        Scenario::Validation => super::super::validation::actix::serve(args),
        Scenario::Async => super::super::upstream::actix::serve(args),
        Scenario::Shop => super::super::shop::actix::serve(args),
        Scenario::Cache | Scenario::RatelimitRedis | Scenario::Tasks | Scenario::Realworld => {
            Err(ServeError::Unsupported(format!(
                "actix-web has no {} server (kiln is compared with axum there)",
                args.scenario
            )))
        }
        Scenario::Basic => run!(|| {
            App::new()
                .route("/", web::get().to(hello))
                .route("/json", web::get().to(json))
                .route("/users/{id}", web::get().to(user))
                .route("/search", web::get().to(search))
        }),
        Scenario::Middleware => {
            init_access_log();
            let governor = GovernorConfigBuilder::default()
                .nanoseconds_per_request(1)
                .burst_size(u32::MAX)
                .finish()
                .expect("a valid governor quota");
            run!(move || {
                // `wrap` puts each middleware outside the previous ones: CORS is outermost.
                App::new()
                    .route("/", web::get().to(hello))
                    .route("/protected", web::get().to(protected))
                    .wrap(Governor::new(&governor))
                    .wrap(security_headers())
                    .wrap(Logger::default())
                    .wrap(from_fn(request_id))
                    .wrap(
                        Cors::default()
                            .allowed_origin(ORIGIN)
                            .allowed_methods(["GET"]),
                    )
            })
        }
        // Listed innermost first, so `x-mw-0` is the outermost middleware.
        Scenario::MiddlewareDepth => match args.depth {
            1 => depth_app!(0),
            5 => depth_app!(4 3 2 1 0),
            10 => depth_app!(9 8 7 6 5 4 3 2 1 0),
            20 => depth_app!(19 18 17 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0),
            d => Err(ServeError::Unsupported(format!(
                "actix builds middleware-depth for depths {DEPTHS:?} only, not {d}"
            ))),
        },
        Scenario::Di => {
            let config = web::Data::new(Config::default());
            let counter = web::Data::new(Counter::default());
            let repo = web::Data::new(Repo::default());
            run!(move || {
                App::new()
                    .app_data(config.clone())
                    .app_data(counter.clone())
                    .app_data(repo.clone())
                    .route("/di", web::get().to(di_handler))
            })
        }
        Scenario::Files => {
            let dir = files::dir()?;
            run!(move || App::new().service(actix_files::Files::new("/files", dir.clone())))
        }
        // actix's `Compress` has no level setting: its own defaults.
        Scenario::Compression => run!(|| {
            App::new()
                .route("/json-100k", web::get().to(big_json))
                .wrap(actix_web::middleware::Compress::default())
        }),
    }
}

async fn big_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(fixtures::JSON)
        .body(files::BIG_JSON.as_str())
}

// ------------------------------------------------------------------ basic

async fn hello() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT).body(HELLO)
}

async fn json() -> HttpResponse {
    HttpResponse::Ok().json(fixtures::MESSAGE)
}

async fn user(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().json(User::new(id.into_inner()))
}

async fn search(q: web::Query<Search>) -> HttpResponse {
    HttpResponse::Ok().json(q.into_inner())
}

// ------------------------------------------------------------- middleware

fn security_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |h, &(name, value)| {
            h.add((name, value))
        })
}

/// Propagates `x-request-id`, or generates a UUID v4, and echoes it.
async fn request_id(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let name = HeaderName::from_static(REQUEST_ID);
    let id = if let Some(id) = req.headers().get(&name) {
        id.clone()
    } else {
        let id = HeaderValue::from_str(&Uuid::new_v4().to_string())
            .expect("a UUID is a valid header value");
        req.headers_mut().insert(name.clone(), id.clone());
        id
    };
    let mut res = next.call(req).await?;
    res.headers_mut().insert(name, id);
    Ok(res)
}

/// The verified bearer token of a request (the JWT guard of `/protected`).
struct Bearer(Claims);

impl FromRequest for Bearer {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        ready(match fixtures::verify_bearer(auth) {
            Ok(claims) => Ok(Bearer(claims)),
            Err(AuthError::Missing) => Err(actix_web::error::InternalError::from_response(
                "missing bearer token",
                HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                    .finish(),
            )
            .into()),
            Err(AuthError::Invalid) => Err(ErrorForbidden("invalid token")),
        })
    }
}

async fn protected(Bearer(claims): Bearer) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TEXT)
        .body(fixtures::protected_body(&claims.sub))
}

// ------------------------------------------------------- middleware-depth

/// Middleware `I`: requires the `x-key` header, stamps `x-mw-<I>: 1`.
async fn check_and_stamp<const I: usize, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    if !req.headers().contains_key(DEPTH_KEY) {
        return Err(ErrorForbidden("missing x-key"));
    }
    let mut res = next.call(req).await?;
    res.headers_mut().insert(
        HeaderName::from_static(DEPTH_HEADERS[I]),
        HeaderValue::from_static("1"),
    );
    Ok(res)
}

// --------------------------------------------------------------------- di

/// Request-scoped: built by the async constructor from `x-user`.
struct SessionX(Session);

impl FromRequest for SessionX {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(SESSION_HEADER)
            .map(|v| v.as_bytes().to_vec());
        Box::pin(async move {
            Session::load(header.as_deref())
                .await
                .map(SessionX)
                .ok_or_else(|| ErrorUnauthorized("no session"))
        })
    }
}

/// Request-scoped: the `id` query parameter.
struct LookupX(Lookup);

impl FromRequest for LookupX {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let q = req.uri().query();
        ready(
            Lookup::parse(q)
                .map(LookupX)
                .ok_or_else(|| ErrorBadRequest("bad id")),
        )
    }
}

async fn di_handler(
    config: web::Data<Config>,
    counter: web::Data<Counter>,
    repo: web::Data<Repo>,
    SessionX(session): SessionX,
    LookupX(lookup): LookupX,
) -> HttpResponse {
    match fixtures::di_reply(&config, &counter, &repo, &session, lookup) {
        Some(reply) => HttpResponse::Ok().json(reply),
        None => HttpResponse::NotFound().finish(),
    }
}
