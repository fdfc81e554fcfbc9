//! An e-commerce API on kiln: a product catalog with full-text search, a
//! cart per user, and orders that reserve inventory and pay through a
//! simulated payment service, all in one transaction, so a declined card
//! leaves no order behind and puts every reserved unit back.
//!
//! It shows `chain!` with a scope of signed-in routes, a singleton service
//! injected into a handler (`Payments`), `kiln::db` with a request-scoped
//! transaction for every write (rolled back by kiln on any error response),
//! `kiln::validate` on every body and query, and kiln's problem+json errors
//! with the shop's own stable codes (`out_of_stock`, `payment_declined`, ...).
//!
//! Run: `cargo run -p kiln-examples --example shop` (a SQLite file, the
//! catalog seeded by a migration), then the API is at
//! `http://127.0.0.1:8086/api`. Settings, from the environment:
//!
//! | variable | default | |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://shop.sqlite` | `postgres://user:pw@host/db` for Postgres |
//! | `SHOP_ADDR` | `127.0.0.1:8086` | where to listen |
//! | `SHOP_CARD_LIMIT_CENTS` | none | charges above it are declined |
//! | `SHOP_PAYMENT_LATENCY_MS` | `0` | how long each simulated charge takes |
//!
//! The user is whoever `X-User-Id` names (see `auth.rs`); the card
//! `4000 0000 0000 0002` is always declined.
//!
//! ```sh
//! curl -s 'localhost:8086/api/products/search?q=coffee+mug'
//! curl -s localhost:8086/api/cart/items -H 'x-user-id: 1' -H 'content-type: application/json' \
//!   -d '{"product_id": 1, "quantity": 2}'
//! curl -s localhost:8086/api/orders -H 'x-user-id: 1' -H 'content-type: application/json' \
//!   -d '{"card": "4242 4242 4242 4242"}'
//! curl -s localhost:8086/api/orders -H 'x-user-id: 1'
//! ```
//!
//! `cargo test -p kiln-examples --example shop` runs the tests (in process,
//! and 64 concurrent buyers over HTTP; on Postgres too when
//! `KILN_TEST_POSTGRES_URL` is set).

mod auth;
mod cart;
mod catalog;
mod db;
mod error;
mod orders;
mod page;
mod payments;
#[cfg(test)]
mod tests;

use std::time::Duration;

use kiln::prelude::*;

use crate::auth::customer;
use crate::db::{Database, read, tx};
use crate::payments::Payments;

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

chain! {
    struct Shop;
    singletons { db: Database, payments: Payments }
    request { tx, read }
    routes {
        scope "/api" {
            GET "/products" => catalog::list,
            GET "/products/search" => catalog::search,
            GET "/products/{id}" => catalog::get,

            scope with [customer] {
                GET "/cart" => cart::view,
                POST "/cart/items" => cart::add,
                PUT "/cart/items/{product_id}" => cart::set,
                DELETE "/cart/items/{product_id}" => cart::remove,

                POST "/orders" => orders::checkout,
                GET "/orders" => orders::history,
                GET "/orders/{id}" => orders::get,
            }
        }
    }
}

/// The app on `db`, charging through `payments`.
fn app(db: Database, payments: Payments) -> Shop {
    Shop::new(ShopSingletons { db, payments })
}

/// `name` from the environment, parsed; `None` when unset.
fn env<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("{name}={v} is not a number")),
        Err(_) => Ok(None),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://shop.sqlite".into());
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:8086".into());
    let mut payments = Payments::simulated();
    if let Some(limit) = env::<i64>("SHOP_CARD_LIMIT_CENTS")? {
        payments = payments.limit_cents(limit);
    }
    if let Some(ms) = env::<u64>("SHOP_PAYMENT_LATENCY_MS")? {
        payments = payments.latency(Duration::from_millis(ms));
    }
    // A failed migration stops here, with the migration and statement named.
    let db = Database::open(&url).await?;
    tracing::info!(
        "{} database ready; listening on http://{addr}/api",
        db.backend()
    );
    kiln::serve(app(db, payments)).bind(&addr).await?;
    Ok(())
}
