//! Public routes: the catalogue, categories, shops, login, the newsletter.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use kiln_buildtime_shop::{
    ApiVersion, Category, Locale, Location, Login, Page, Product, Review, SearchQuery, Subscribe,
    TOKEN_TTL, Tenant, Token, VersionInfo, issue_token,
};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};

pub(crate) async fn health() -> &'static str {
    "ok" // benches/buildtime.sh changes this literal to time an incremental rebuild
}

pub(crate) async fn version(
    Extension(api): Extension<ApiVersion>,
    Extension(tenant): Extension<Tenant>,
    Extension(locale): Extension<Locale>,
) -> Json<VersionInfo> {
    Json(VersionInfo {
        api: api.0,
        tenant: tenant.name,
        locale: locale.0,
    })
}

pub(crate) async fn list_products(
    State(s): State<AppState>,
    Query(page): Query<Page>,
) -> Json<Vec<Product>> {
    Json(s.store.products(&page))
}

pub(crate) async fn show_product(
    State(s): State<AppState>,
    Path(id): Path<u64>,
) -> ApiResult<Product> {
    Ok(Json(s.store.product(id)?))
}

pub(crate) async fn product_reviews(
    State(s): State<AppState>,
    Path(id): Path<u64>,
    Query(page): Query<Page>,
) -> ApiResult<Vec<Review>> {
    Ok(Json(s.store.reviews(id, &page)?))
}

pub(crate) async fn search_products(
    State(s): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Json<Vec<Product>> {
    Json(s.store.search(&query))
}

pub(crate) async fn list_categories(State(s): State<AppState>) -> Json<Vec<Category>> {
    Json(s.store.categories())
}

pub(crate) async fn show_category(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Category> {
    Ok(Json(s.store.category(&slug)?))
}

pub(crate) async fn category_products(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Vec<Product>> {
    Ok(Json(s.store.category_products(&slug, &page)?))
}

pub(crate) async fn show_locale(Extension(locale): Extension<Locale>) -> String {
    format!("locale: {}", locale.0)
}

pub(crate) async fn login(State(s): State<AppState>, Json(login): Json<Login>) -> ApiResult<Token> {
    let user = s
        .store
        .user_by_email(&login.email)
        .ok()
        .filter(|_| login.password == "secret");
    let user = user.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_login",
            "wrong address or password",
        )
    })?;
    Ok(Json(Token {
        token: issue_token(user.id),
        expires_in: TOKEN_TTL,
    }))
}

pub(crate) async fn list_locations(State(s): State<AppState>) -> Json<Vec<Location>> {
    Json(s.store.locations())
}

pub(crate) async fn subscribe(
    State(s): State<AppState>,
    Json(sub): Json<Subscribe>,
) -> Result<StatusCode, ApiError> {
    s.store.subscribe(sub.email)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn docs(Path(page): Path<String>) -> String {
    format!("documentation page `{page}`")
}
