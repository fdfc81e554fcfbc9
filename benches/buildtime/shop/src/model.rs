//! What the API sends and receives (JSON bodies and query strings).

use serde::{Deserialize, Serialize};

/// `?offset=&limit=` on list routes.
#[derive(Debug, Default, Deserialize)]
pub struct Page {
    /// Items to skip.
    pub offset: Option<usize>,
    /// Items to return (at most 100).
    pub limit: Option<usize>,
}

impl Page {
    /// The slice of `items` this page selects.
    #[must_use]
    pub fn of<T: Clone>(&self, items: &[T]) -> Vec<T> {
        let offset = self.offset.unwrap_or(0).min(items.len());
        let limit = self.limit.unwrap_or(20).min(100);
        items[offset..].iter().take(limit).cloned().collect()
    }
}

/// `GET /search?q=&max_price=`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// Matched against product names, case-insensitively.
    pub q: String,
    /// Upper bound on the price, in cents.
    pub max_price: Option<u64>,
}

/// A product in the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    /// Its id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Category slug.
    pub category: String,
    /// Price in cents.
    pub price_cents: u64,
    /// Units in stock.
    pub stock: u32,
}

/// `POST /admin/products`, `PUT /admin/products/{id}`.
#[derive(Debug, Deserialize)]
pub struct NewProduct {
    /// Display name.
    pub name: String,
    /// Category slug (must exist).
    pub category: String,
    /// Price in cents.
    pub price_cents: u64,
    /// Units in stock.
    #[serde(default)]
    pub stock: u32,
}

/// `PUT /admin/products/{id}/stock`.
#[derive(Debug, Deserialize)]
pub struct Stock {
    /// Units in stock.
    pub stock: u32,
}

/// A product category.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A review of a product.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// Its id.
    pub id: u64,
    /// The product reviewed.
    pub product: u64,
    /// The user who wrote it.
    pub author: u64,
    /// 1 to 5.
    pub stars: u8,
    /// Free text.
    pub text: String,
}

/// `POST /products/{id}/reviews`.
#[derive(Debug, Deserialize)]
pub struct NewReview {
    /// 1 to 5.
    pub stars: u8,
    /// Free text.
    pub text: String,
}

/// One line of a cart or an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    /// The product.
    pub product: u64,
    /// How many.
    pub quantity: u32,
}

/// An order.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// Its id.
    pub id: u64,
    /// Who placed it.
    pub user: u64,
    /// What was ordered.
    pub lines: Vec<Line>,
    /// Total in cents, at the prices when it was placed.
    pub total_cents: u64,
    /// `placed`, `paid`, `shipped`, `delivered` or `cancelled`.
    pub status: String,
}

/// `POST /orders`: an order from the given lines, or from the cart when empty.
#[derive(Debug, Default, Deserialize)]
pub struct NewOrder {
    /// What to order.
    #[serde(default)]
    pub lines: Vec<Line>,
}

/// `PUT /admin/orders/{id}/status`.
#[derive(Debug, Deserialize)]
pub struct StatusChange {
    /// The new status.
    pub status: String,
}

/// `GET /admin/orders?status=`.
#[derive(Debug, Default, Deserialize)]
pub struct OrderFilter {
    /// Only orders with this status.
    pub status: Option<String>,
    /// Items to skip.
    pub offset: Option<usize>,
    /// Items to return.
    pub limit: Option<usize>,
}

/// A signed-in user, as `current_user` provides it.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Its id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Sign-in address.
    pub email: String,
    /// May use `/admin`.
    pub admin: bool,
}

/// `PUT /me`.
#[derive(Debug, Deserialize)]
pub struct Profile {
    /// Display name.
    pub name: String,
    /// Sign-in address.
    pub email: String,
}

/// A delivery address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// ISO 3166 country code.
    pub country: String,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize)]
pub struct Login {
    /// Sign-in address.
    pub email: String,
    /// Password (the demo users' password is `secret`).
    pub password: String,
}

/// What login and refresh answer.
#[derive(Debug, Serialize)]
pub struct Token {
    /// A Bearer JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// `POST /newsletter`.
#[derive(Debug, Deserialize)]
pub struct Subscribe {
    /// Where to send it.
    pub email: String,
}

/// A physical shop.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// Its id.
    pub id: u64,
    /// City.
    pub city: String,
    /// Opening hours.
    pub hours: String,
}

/// `GET /admin/stats`.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// Products in the catalogue.
    pub products: usize,
    /// Orders placed.
    pub orders: usize,
    /// Registered users.
    pub users: usize,
    /// Reviews written.
    pub reviews: usize,
    /// Newsletter subscribers.
    pub subscribers: usize,
}

/// `GET /version`.
#[derive(Debug, Serialize)]
pub struct VersionInfo {
    /// The API version the request asked for.
    pub api: u8,
    /// The tenant it was served for.
    pub tenant: String,
    /// The negotiated locale.
    pub locale: &'static str,
}

/// The JSON error body both apps answer with.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// A stable machine-readable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}
