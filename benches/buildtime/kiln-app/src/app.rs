//! The app: 40 routes, ten global middleware of its own, every built-in, and
//! the one place that builds it ([`app`]).

use std::time::Duration;

use kiln::builtin::{
    AccessLog, Algorithm, BodyLimit, CatchPanic, ConfigError, Cors, JwtAuth, JwtKey, Quota,
    RateLimit, RequestIds, SecurityHeaders, ServerTiming, Timeout,
};
use kiln::prelude::*;
use kiln_buildtime_shop::{AuditLog, Flags, JWT_ISSUER, JWT_SECRET, ORIGIN, Store, Tenants};

use crate::handlers::{account, admin, catalog};
use crate::middleware::{
    Clock, admin_only, api_version, audit, block_bots, content_language, current_user, locale,
    maintenance, powered_by, tenant, tenant_header,
};

chain! {
    /// The shop API.
    pub(crate) struct Shop;
    singletons {
        store: Store,
        tenants: Tenants,
        flags: Flags,
        audit_log: AuditLog,
        cors: Cors,
        ids: RequestIds,
        timing: ServerTiming,
        log: AccessLog,
        security: SecurityHeaders,
        catch: CatchPanic,
        timeout: Timeout,
        body_limit: BodyLimit,
        rate: RateLimit,
        jwt: JwtAuth,
    }
    middleware {
        kiln::builtin::Cors,
        kiln::builtin::RequestIds,
        kiln::builtin::ServerTiming,
        kiln::builtin::AccessLog,
        kiln::builtin::SecurityHeaders,
        kiln::builtin::CatchPanic,
        kiln::builtin::Timeout,
        kiln::builtin::BodyLimit,
        kiln::builtin::RateLimit,
        Clock,
        maintenance,
        block_bots,
        api_version,
        tenant,
        locale,
        content_language,
        tenant_header,
        audit,
        powered_by,
    }
    routes {
        #[limit(rate = exempt)]
        GET "/health" => catalog::health,
        GET "/version" => catalog::version,
        GET "/products" => catalog::list_products,
        GET "/products/{id}" => catalog::show_product,
        GET "/products/{id}/reviews" => catalog::product_reviews,
        GET "/search" => catalog::search_products,
        GET "/categories" => catalog::list_categories,
        GET "/categories/{slug}" => catalog::show_category,
        GET "/categories/{slug}/products" => catalog::category_products,
        GET "/locale" => catalog::show_locale,
        #[limit(body = 64 * 1024, rate = Quota::per_minute(10))]
        POST "/auth/login" => catalog::login,
        GET "/shops" => catalog::list_locations,
        POST "/newsletter" => catalog::subscribe,
        GET "/docs/{*page}" => catalog::docs,

        GET "/me" => account::me with [kiln::builtin::JwtAuth, current_user],
        PUT "/me" => account::update_me with [kiln::builtin::JwtAuth, current_user],
        GET "/me/orders" => account::my_orders with [kiln::builtin::JwtAuth, current_user],
        GET "/me/addresses" => account::list_addresses with [kiln::builtin::JwtAuth, current_user],
        POST "/me/addresses" => account::add_address with [kiln::builtin::JwtAuth, current_user],
        POST "/auth/refresh" => account::refresh with [kiln::builtin::JwtAuth, current_user],
        GET "/cart" => account::show_cart with [kiln::builtin::JwtAuth, current_user],
        POST "/cart/items" => account::add_to_cart with [kiln::builtin::JwtAuth, current_user],
        DELETE "/cart/items/{id}" => account::remove_from_cart with [kiln::builtin::JwtAuth, current_user],
        POST "/orders" => account::place_order with [kiln::builtin::JwtAuth, current_user],
        GET "/orders/{id}" => account::show_order with [kiln::builtin::JwtAuth, current_user],
        POST "/orders/{id}/cancel" => account::cancel_order with [kiln::builtin::JwtAuth, current_user],
        POST "/products/{id}/reviews" => account::add_review with [kiln::builtin::JwtAuth, current_user],
        DELETE "/products/{id}/reviews/{review}" => account::delete_review with [kiln::builtin::JwtAuth, current_user],
        GET "/wishlist" => account::wishlist with [kiln::builtin::JwtAuth, current_user],
        PUT "/wishlist/{id}" => account::wish with [kiln::builtin::JwtAuth, current_user],

        scope "/admin" with [kiln::builtin::JwtAuth, current_user, admin_only] {
            POST "/products" => admin::create_product,
            PUT "/products/{id}" => admin::update_product,
            DELETE "/products/{id}" => admin::delete_product,
            PUT "/products/{id}/stock" => admin::set_stock,
            GET "/orders" => admin::all_orders,
            PUT "/orders/{id}/status" => admin::set_order_status,
            GET "/users" => admin::list_users,
            GET "/users/{id}" => admin::show_user,
            GET "/audit" => admin::audit_log,
            GET "/stats" => admin::shop_stats,
        },
    }
}

/// The app with its demo data and every built-in configured.
///
/// # Errors
/// When a built-in's configuration is invalid (a bug in this function).
pub(crate) fn app() -> Result<Shop, ConfigError> {
    Ok(Shop::new(ShopSingletons {
        store: Store::default(),
        tenants: Tenants::default(),
        flags: Flags {
            blocked_agents: vec!["BadBot".into()],
            ..Flags::default()
        },
        audit_log: AuditLog::default(),
        cors: Cors::builder()
            .allow_origin(ORIGIN)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers(["authorization", "content-type", "x-tenant", "x-api-version"])
            .expose_headers(["x-request-id", "server-timing"])
            .max_age(Duration::from_mins(10))
            .build()?,
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
        catch: CatchPanic::new(),
        timeout: Timeout::new(Duration::from_secs(10))?,
        body_limit: BodyLimit,
        rate: RateLimit::builder()
            .quota(Quota::per_second(50).burst(100))
            .build()?,
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, JWT_SECRET))
            .issuer(JWT_ISSUER)
            .build()?,
    }))
}
