//! Public routes: the catalogue, categories, shops, login, the newsletter.

use kiln::prelude::*;
use kiln_buildtime_shop::{
    ApiVersion, Category, Locale, Location, Login, Page, Product, Review, SearchQuery, Store,
    Subscribe, TOKEN_TTL, Tenant, Token, VersionInfo, issue_token,
};

use crate::error::{ApiError, ApiResult};

#[handler]
pub(crate) fn health() -> &'static str {
    "ok" // benches/buildtime.sh changes this literal to time an incremental rebuild
}

#[handler]
#[allow(clippy::trivially_copy_pass_by_ref)] // middleware outputs are injected by reference
pub(crate) fn version(api: &ApiVersion, tenant: &Tenant, locale: &Locale) -> Json<VersionInfo> {
    Json(VersionInfo {
        api: api.0,
        tenant: tenant.name.clone(),
        locale: locale.0,
    })
}

#[handler]
pub(crate) fn list_products(store: &Store, Query(page): Query<Page>) -> Json<Vec<Product>> {
    Json(store.products(&page))
}

#[handler]
pub(crate) fn show_product(store: &Store, Path(id): Path<u64>) -> ApiResult<Product> {
    Ok(Json(store.product(id)?))
}

#[handler]
pub(crate) fn product_reviews(
    store: &Store,
    Path(id): Path<u64>,
    Query(page): Query<Page>,
) -> ApiResult<Vec<Review>> {
    Ok(Json(store.reviews(id, &page)?))
}

#[handler]
pub(crate) fn search_products(
    store: &Store,
    Query(query): Query<SearchQuery>,
) -> Json<Vec<Product>> {
    Json(store.search(&query))
}

#[handler]
pub(crate) fn list_categories(store: &Store) -> Json<Vec<Category>> {
    Json(store.categories())
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
pub(crate) fn show_category(store: &Store, Path(slug): Path<String>) -> ApiResult<Category> {
    Ok(Json(store.category(&slug)?))
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
pub(crate) fn category_products(
    store: &Store,
    Path(slug): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Vec<Product>> {
    Ok(Json(store.category_products(&slug, &page)?))
}

#[handler]
pub(crate) fn show_locale(locale: &Locale) -> String {
    format!("locale: {}", locale.0)
}

#[handler]
pub(crate) fn login(store: &Store, Json(login): Json<Login>) -> ApiResult<Token> {
    let user = store
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

#[handler]
pub(crate) fn list_locations(store: &Store) -> Json<Vec<Location>> {
    Json(store.locations())
}

#[handler]
pub(crate) fn subscribe(store: &Store, Json(sub): Json<Subscribe>) -> Result<StatusCode, ApiError> {
    store.subscribe(sub.email)?;
    Ok(StatusCode::NO_CONTENT)
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
pub(crate) fn docs(Path(page): Path<String>) -> String {
    format!("documentation page `{page}`")
}
