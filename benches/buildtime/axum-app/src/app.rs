//! The app: the same 40 routes and middleware as `kiln-buildtime-app`, with
//! the built-ins' tower-http and tower_governor counterparts, and the one
//! place that builds it ([`app`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post, put};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kiln_buildtime_shop::{AuditLog, Flags, JWT_ISSUER, JWT_SECRET, ORIGIN, Store, Tenants};
use tower::ServiceBuilder;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::handlers::{account, admin, catalog};
use crate::middleware::{
    admin_only, api_version, audit, block_bots, clock, content_language, current_user, locale,
    maintenance, powered_by, require_jwt, server_timing, tenant, tenant_header,
};

/// The JWT verification settings.
pub(crate) struct Jwt {
    pub(crate) key: DecodingKey,
    pub(crate) validation: Validation,
}

/// The app's singletons, shared through `State`.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<Store>,
    pub(crate) tenants: Arc<Tenants>,
    pub(crate) flags: Arc<Flags>,
    pub(crate) audit_log: Arc<AuditLog>,
    pub(crate) jwt: Arc<Jwt>,
}

/// The security headers of kiln's `SecurityHeaders` preset.
const SECURITY_HEADERS: [(&str, &str); 7] = [
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'",
    ),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

fn public() -> Router<AppState> {
    // Stricter quota on login, as the kiln app's `RateLimit::route`.
    let login_quota = GovernorConfigBuilder::default()
        .per_second(6)
        .burst_size(10)
        .finish()
        .expect("a valid governor quota");
    Router::new()
        .route("/health", get(catalog::health))
        .route("/version", get(catalog::version))
        .route("/products", get(catalog::list_products))
        .route("/products/{id}", get(catalog::show_product))
        .route("/products/{id}/reviews", get(catalog::product_reviews))
        .route("/search", get(catalog::search_products))
        .route("/categories", get(catalog::list_categories))
        .route("/categories/{slug}", get(catalog::show_category))
        .route(
            "/categories/{slug}/products",
            get(catalog::category_products),
        )
        .route("/locale", get(catalog::show_locale))
        .route(
            "/auth/login",
            post(catalog::login).layer(GovernorLayer::new(login_quota)),
        )
        .route("/shops", get(catalog::list_locations))
        .route("/newsletter", post(catalog::subscribe))
        .route("/docs/{*page}", get(catalog::docs))
}

fn account(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/me", get(account::me).put(account::update_me))
        .route("/me/orders", get(account::my_orders))
        .route(
            "/me/addresses",
            get(account::list_addresses).post(account::add_address),
        )
        .route("/auth/refresh", post(account::refresh))
        .route("/cart", get(account::show_cart))
        .route("/cart/items", post(account::add_to_cart))
        .route(
            "/cart/items/{id}",
            axum::routing::delete(account::remove_from_cart),
        )
        .route("/orders", post(account::place_order))
        .route("/orders/{id}", get(account::show_order))
        .route("/orders/{id}/cancel", post(account::cancel_order))
        .route("/products/{id}/reviews", post(account::add_review))
        .route(
            "/products/{id}/reviews/{review}",
            axum::routing::delete(account::delete_review),
        )
        .route("/wishlist", get(account::wishlist))
        .route("/wishlist/{id}", put(account::wish))
        .route_layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(state.clone(), require_jwt))
                .layer(from_fn_with_state(state.clone(), current_user)),
        )
}

fn admin(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/products", post(admin::create_product))
        .route(
            "/products/{id}",
            put(admin::update_product).delete(admin::delete_product),
        )
        .route("/products/{id}/stock", put(admin::set_stock))
        .route("/orders", get(admin::all_orders))
        .route("/orders/{id}/status", put(admin::set_order_status))
        .route("/users", get(admin::list_users))
        .route("/users/{id}", get(admin::show_user))
        .route("/audit", get(admin::audit_log))
        .route("/stats", get(admin::shop_stats))
        .route_layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(state.clone(), require_jwt))
                .layer(from_fn_with_state(state.clone(), current_user))
                .layer(from_fn(admin_only)),
        )
}

/// The app with its demo data and the whole stack (outermost layer first).
///
/// Needs the peer address for rate limiting: serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub(crate) fn app() -> Router {
    let state = AppState {
        store: Arc::new(Store::default()),
        tenants: Arc::new(Tenants::default()),
        flags: Arc::new(Flags {
            blocked_agents: vec!["BadBot".into()],
            ..Flags::default()
        }),
        audit_log: Arc::new(AuditLog::default()),
        jwt: Arc::new(Jwt {
            key: DecodingKey::from_secret(JWT_SECRET),
            validation: {
                let mut v = Validation::new(Algorithm::HS256);
                v.set_issuer(&[JWT_ISSUER]);
                v
            },
        }),
    };
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(ORIGIN))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-tenant"),
            HeaderName::from_static("x-api-version"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("server-timing"),
        ])
        .max_age(Duration::from_mins(10));
    let governor = GovernorConfigBuilder::default()
        .per_millisecond(20)
        .burst_size(100)
        .finish()
        .expect("a valid governor quota");
    let [hsts, nosniff, frame, csp, referrer, permissions, coop] =
        SECURITY_HEADERS.map(|(name, value)| {
            SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        });
    let stack = ServiceBuilder::new()
        .layer(cors)
        // CORS needs a `Default` response body, which tracing's body wrapper is not.
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(hsts)
        .layer(nosniff)
        .layer(frame)
        .layer(csp)
        .layer(referrer)
        .layer(permissions)
        .layer(coop)
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(10),
        ))
        // The timeout's 504 needs a `Default` body, which the limit's is not.
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(MapRequestBodyLayer::new(Body::new))
        .layer(GovernorLayer::new(governor))
        // `from_fn` needs an inner service whose error is `Infallible` and that is
        // `Sync`, so it sits inside the tower-http layers, not next to the request ids.
        .layer(from_fn(server_timing))
        .layer(from_fn(clock))
        .layer(from_fn_with_state(state.clone(), maintenance))
        .layer(from_fn_with_state(state.clone(), block_bots))
        .layer(from_fn(api_version))
        .layer(from_fn_with_state(state.clone(), tenant))
        .layer(from_fn(locale))
        .layer(from_fn(content_language))
        .layer(from_fn(tenant_header))
        .layer(from_fn_with_state(state.clone(), audit))
        .layer(from_fn(powered_by));
    Router::new()
        .merge(public())
        .merge(account(&state))
        .nest("/admin", admin(&state))
        .layer(stack)
        .with_state(state)
}
