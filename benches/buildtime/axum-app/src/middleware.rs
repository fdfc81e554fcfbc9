//! The app's own middleware, as `from_fn` functions: the same ten global ones
//! as the kiln app (values for later middleware and handlers travel in request
//! extensions), the two per-route ones, and the JWT check and `Server-Timing`
//! that tower-http has no layer for.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_LANGUAGE, USER_AGENT, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kiln_buildtime_shop::{ApiVersion, Locale, Tenant, User};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;

fn header<'r>(headers: &'r HeaderMap, name: &str) -> Option<&'r [u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

/// `Server-Timing: total;dur=<ms>` (kiln's `ServerTiming`).
pub(crate) async fn server_timing(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("total;dur={ms:.3}")) {
        res.headers_mut().insert("server-timing", value);
    }
    res
}

/// Both phases: the time around the rest of the chain, as `x-response-time-us`.
pub(crate) async fn clock(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut res = next.run(req).await;
    let micros = start.elapsed().as_micros();
    res.headers_mut().insert(
        "x-response-time-us",
        HeaderValue::from(u64::try_from(micros).unwrap_or(u64::MAX)),
    );
    res
}

/// 503 while the flags say the shop is in maintenance.
pub(crate) async fn maintenance(
    State(s): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if s.flags.in_maintenance() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "maintenance",
            "back soon",
        ));
    }
    Ok(next.run(req).await)
}

/// 403 for a blocked `User-Agent`.
pub(crate) async fn block_bots(
    State(s): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if s.flags.blocks(header(req.headers(), USER_AGENT.as_str())) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "blocked",
            "this client is blocked",
        ));
    }
    Ok(next.run(req).await)
}

/// Provides the [`ApiVersion`] from `x-api-version`; 400 for an unknown one.
pub(crate) async fn api_version(mut req: Request, next: Next) -> Result<Response, ApiError> {
    let version = ApiVersion::parse(header(req.headers(), "x-api-version")).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_version",
            "`x-api-version` must be 1 or 2",
        )
    })?;
    req.extensions_mut().insert(version);
    Ok(next.run(req).await)
}

/// Provides the [`Tenant`] from `x-tenant`; 404 for an unknown one.
pub(crate) async fn tenant(
    State(s): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let tenant = s
        .tenants
        .find(header(req.headers(), "x-tenant"))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_tenant", "unknown `x-tenant`"))?;
    req.extensions_mut().insert(tenant);
    Ok(next.run(req).await)
}

/// Provides the negotiated [`Locale`].
pub(crate) async fn locale(mut req: Request, next: Next) -> Response {
    let locale = Locale::negotiate(header(req.headers(), ACCEPT_LANGUAGE.as_str()));
    req.extensions_mut().insert(locale);
    next.run(req).await
}

/// Post: `Content-Language` from the [`Locale`] that `locale` provided.
pub(crate) async fn content_language(req: Request, next: Next) -> Response {
    let locale = req.extensions().get::<Locale>().copied();
    let mut res = next.run(req).await;
    if let Some(locale) = locale {
        res.headers_mut()
            .insert(CONTENT_LANGUAGE, HeaderValue::from_static(locale.0));
    }
    res
}

/// Post: echoes the tenant as `x-tenant`.
pub(crate) async fn tenant_header(req: Request, next: Next) -> Response {
    let value = req
        .extensions()
        .get::<Tenant>()
        .and_then(|t| HeaderValue::from_str(&t.name).ok());
    let mut res = next.run(req).await;
    if let Some(value) = value {
        res.headers_mut()
            .insert(HeaderName::from_static("x-tenant"), value);
    }
    res
}

/// Post: counts the response in the audit log.
pub(crate) async fn audit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let tenant = req.extensions().get::<Tenant>().cloned();
    let res = next.run(req).await;
    if let Some(tenant) = tenant {
        s.audit_log.record(&tenant, res.status().as_u16());
    }
    res
}

/// Post: `x-powered-by`.
pub(crate) async fn powered_by(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-powered-by", HeaderValue::from_static("axum"));
    res
}

/// The claims of a verified token.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Claims {
    sub: String,
}

/// Per route: Bearer JWT (HS256, issuer pinned); 401 + `WWW-Authenticate`
/// without a token, 403 for a bad one (kiln's `JwtAuth`).
pub(crate) async fn require_jwt(
    State(s): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")]).into_response();
    };
    match jsonwebtoken::decode::<Claims>(token, &s.jwt.key, &s.jwt.validation) {
        Ok(data) => {
            req.extensions_mut().insert(data.claims);
            next.run(req).await
        }
        Err(_) => (
            StatusCode::FORBIDDEN,
            [(WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)],
        )
            .into_response(),
    }
}

/// Per route, after `require_jwt`: provides the signed-in [`User`].
pub(crate) async fn current_user(
    State(s): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let id = req
        .extensions()
        .get::<Claims>()
        .and_then(|c| c.sub.parse().ok());
    let user = id.and_then(|id| s.store.user(id).ok()).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "no_user",
            "the token's user does not exist",
        )
    })?;
    req.extensions_mut().insert(user);
    Ok(next.run(req).await)
}

/// Per route: 403 unless the [`User`] is an admin.
pub(crate) async fn admin_only(req: Request, next: Next) -> Result<Response, ApiError> {
    if req.extensions().get::<User>().is_some_and(|u| u.admin) {
        Ok(next.run(req).await)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "admins only",
        ))
    }
}
