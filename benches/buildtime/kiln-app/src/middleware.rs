//! The app's own middleware: ten global ones (pre, post and both phases, some
//! taking singletons or what an earlier one provided) and two per-route ones
//! for signed-in and admin routes.

use std::time::Instant;

use kiln::builtin::JwtClaims;
use kiln::http::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, USER_AGENT};
use kiln::http::{HeaderName, HeaderValue};
use kiln::prelude::*;
use kiln_buildtime_shop::{ApiVersion, AuditLog, Flags, Locale, Store, Tenant, Tenants, User};

use crate::error::ApiError;

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r [u8]> {
    req.headers().get(name).map(HeaderValue::as_bytes)
}

/// Both phases: the time between `pre` and `post`, as `x-response-time-us`.
pub(crate) struct Clock(Instant);

#[middleware(priority = 0, pre_route, post_route)]
impl Clock {
    pub(crate) fn pre() -> Self {
        Clock(Instant::now())
    }

    pub(crate) fn post(&self, res: &mut Response) {
        let micros = self.0.elapsed().as_micros();
        res.headers_mut().insert(
            "x-response-time-us",
            HeaderValue::from(u64::try_from(micros).unwrap_or(u64::MAX)),
        );
    }
}

/// 503 while the `Flags` singleton says the shop is in maintenance.
#[middleware(priority = 1, pre_route)]
pub(crate) fn maintenance(flags: &Flags) -> Result<(), ApiError> {
    if flags.in_maintenance() {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "maintenance",
            "back soon",
        ))
    } else {
        Ok(())
    }
}

/// 403 for a blocked `User-Agent`.
#[middleware(priority = 2, pre_route)]
pub(crate) fn block_bots(req: &Request, flags: &Flags) -> Result<(), ApiError> {
    if flags.blocks(header(req, USER_AGENT.as_str())) {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "blocked",
            "this client is blocked",
        ))
    } else {
        Ok(())
    }
}

/// Provides the [`ApiVersion`] from `x-api-version`; 400 for an unknown one.
#[middleware(priority = 3, pre_route)]
pub(crate) fn api_version(req: &Request) -> Result<ApiVersion, ApiError> {
    ApiVersion::parse(header(req, "x-api-version")).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_version",
            "`x-api-version` must be 1 or 2",
        )
    })
}

/// Provides the [`Tenant`] from `x-tenant`; 404 for an unknown one.
#[middleware(priority = 4, pre_route)]
pub(crate) fn tenant(req: &Request, tenants: &Tenants) -> Result<Tenant, ApiError> {
    tenants
        .find(header(req, "x-tenant"))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_tenant", "unknown `x-tenant`"))
}

/// Provides the negotiated [`Locale`].
#[middleware(priority = 5, pre_route)]
pub(crate) fn locale(req: &Request) -> Locale {
    Locale::negotiate(header(req, ACCEPT_LANGUAGE.as_str()))
}

/// Post: `Content-Language` from the [`Locale`] that `locale` provided.
#[middleware(priority = 6, post_route)]
pub(crate) fn content_language(locale: &Locale, res: &mut Response) {
    res.headers_mut()
        .insert(CONTENT_LANGUAGE, HeaderValue::from_static(locale.0));
}

/// Post: echoes the tenant as `x-tenant`.
#[middleware(priority = 7, post_route)]
pub(crate) fn tenant_header(tenant: &Tenant, res: &mut Response) {
    if let Ok(value) = HeaderValue::from_str(&tenant.name) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-tenant"), value);
    }
}

/// Post: counts the response in the [`AuditLog`] singleton.
#[middleware(priority = 8, post_route)]
pub(crate) fn audit(tenant: &Tenant, log: &AuditLog, res: &mut Response) {
    log.record(tenant, res.status().as_u16());
}

/// Post: `x-powered-by`.
#[middleware(priority = 9, post_route)]
pub(crate) fn powered_by(res: &mut Response) {
    res.headers_mut()
        .insert("x-powered-by", HeaderValue::from_static("kiln"));
}

/// Per route, after `kiln::builtin::JwtAuth`: provides the signed-in [`User`].
#[middleware(priority = 50, pre_route)]
pub(crate) fn current_user(claims: &JwtClaims, store: &Store) -> Result<User, ApiError> {
    let id = claims.sub.as_deref().and_then(|s| s.parse().ok());
    id.and_then(|id| store.user(id).ok()).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "no_user",
            "the token's user does not exist",
        )
    })
}

/// Per route: 403 unless the [`User`] is an admin.
#[middleware(priority = 60, pre_route)]
pub(crate) fn admin_only(user: &User) -> Result<(), ApiError> {
    if user.admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "admins only",
        ))
    }
}
