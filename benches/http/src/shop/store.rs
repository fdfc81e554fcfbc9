//! What the axum and actix-web peers of `shop` share below their handlers,
//! as the `db` peers share `tfb::sql`: `examples/shop`'s SQL for
//! add-to-cart and checkout, statement for statement and in the same order,
//! its simulated payment service and its validation rules, so the peers
//! differ from kiln's only in their framework.
//!
//! Each function runs inside the caller's transaction, which the caller
//! begins, then commits on `Ok` and rolls back on `Err` (kiln's `Tx` does
//! the same around the example's handlers).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::super::app_db::{Tx, on};

/// The most of one product a cart line holds (`examples/shop`'s `MAX_QUANTITY`).
pub const MAX_QUANTITY: i64 = 99;
/// The card that is always declined (`examples/shop`'s `DECLINED_CARD`).
pub const DECLINED_CARD: &str = "4000000000000002";

/// Why a request failed: a status, a stable code (kiln's shop's, where it
/// has one) and a message.
#[derive(Debug)]
pub enum ShopError {
    /// `401`: no `X-User-Id`.
    NoUser,
    /// `400`: `X-User-Id` is not a positive integer.
    BadUser,
    /// `400`: the body is not the JSON expected.
    BadBody(String),
    /// `422`: a field out of range.
    Invalid(&'static str, String),
    /// `404`.
    NotFound(&'static str),
    /// `409`: product, name, left, wanted.
    OutOfStock(i64, String, i64, i64),
    /// `409`.
    CartEmpty,
    /// `402`: the payment service's reason.
    Declined(&'static str),
    /// `500`.
    Db(sqlx::Error),
}

impl From<sqlx::Error> for ShopError {
    fn from(e: sqlx::Error) -> Self {
        ShopError::Db(e)
    }
}

impl ShopError {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            ShopError::NoUser => 401,
            ShopError::BadUser | ShopError::BadBody(_) => 400,
            ShopError::Invalid(..) => 422,
            ShopError::NotFound(_) => 404,
            ShopError::OutOfStock(..) | ShopError::CartEmpty => 409,
            ShopError::Declined(_) => 402,
            ShopError::Db(_) => 500,
        }
    }

    /// The JSON body: `{"code": ..., "message": ...}`.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        let (code, message) = match self {
            ShopError::NoUser => (
                "unauthorized",
                "sign in: send the user's id in `X-User-Id`".into(),
            ),
            ShopError::BadUser => (
                "invalid_header",
                "`X-User-Id` must be a positive integer".into(),
            ),
            ShopError::BadBody(why) => ("invalid_json", why.clone()),
            ShopError::Invalid(pointer, why) => ("validation_failed", format!("{pointer}: {why}")),
            ShopError::NotFound(what) => ("not_found", format!("{what} not found")),
            ShopError::OutOfStock(id, name, left, wanted) => (
                "out_of_stock",
                format!("product {id} ({name}): {left} in stock, the cart wants {wanted}"),
            ),
            ShopError::CartEmpty => ("cart_empty", "the cart is empty".into()),
            ShopError::Declined(why) => (
                "payment_declined",
                format!("the payment was declined ({why})"),
            ),
            ShopError::Db(e) => {
                eprintln!("shop peer: database error: {e}");
                ("internal", "database error".into())
            }
        };
        serde_json::json!({"code": code, "message": message})
    }
}

/// The user `X-User-Id` names: a positive integer.
///
/// # Errors
/// [`ShopError::NoUser`] without the header, [`ShopError::BadUser`] for
/// anything but a positive integer.
pub fn user(header: Option<&[u8]>) -> Result<i64, ShopError> {
    let value = header.ok_or(ShopError::NoUser)?;
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or(ShopError::BadUser)
}

/// `{"product_id": 3, "quantity": 2}`.
#[derive(Debug, Deserialize)]
pub struct AddItem {
    /// The product.
    pub product_id: i64,
    /// How many to add.
    pub quantity: i64,
}

impl AddItem {
    /// The example's `garde` rules: a product id of at least 1, a quantity
    /// of 1 to [`MAX_QUANTITY`]. Checked before the transaction begins, as
    /// kiln's `Valid` extractor does.
    ///
    /// # Errors
    /// `422` on the first field out of range.
    pub fn validate(&self) -> Result<(), ShopError> {
        if self.product_id < 1 {
            return Err(ShopError::Invalid(
                "/product_id",
                "must be at least 1".into(),
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(ShopError::Invalid(
                "/quantity",
                format!("must be 1 to {MAX_QUANTITY}"),
            ));
        }
        Ok(())
    }
}

/// `{"card": "4242 4242 4242 4242"}`.
#[derive(Debug, Deserialize)]
pub struct CheckoutBody {
    /// The card to charge.
    pub card: String,
}

impl CheckoutBody {
    /// A card number that passes [`is_card_number`].
    ///
    /// # Errors
    /// `422` otherwise.
    pub fn validate(&self) -> Result<(), ShopError> {
        if is_card_number(&self.card) {
            Ok(())
        } else {
            Err(ShopError::Invalid("/card", "is not a card number".into()))
        }
    }
}

/// One line of the cart (`examples/shop`'s `CartLine`).
#[derive(Debug, Serialize)]
pub struct CartLine {
    product_id: i64,
    name: String,
    unit_price_cents: i64,
    quantity: i64,
    line_total_cents: i64,
    in_stock: i64,
}

/// The cart as the API returns it.
#[derive(Debug, Serialize)]
pub struct Cart {
    items: Vec<CartLine>,
    item_count: i64,
    total_cents: i64,
}

/// One line of an order.
#[derive(Debug, Serialize)]
pub struct OrderLine {
    product_id: i64,
    name: String,
    quantity: i64,
    unit_price_cents: i64,
    line_total_cents: i64,
}

/// An order with its lines (`examples/shop`'s `Order`).
#[derive(Debug, Serialize)]
pub struct Order {
    id: i64,
    total_cents: i64,
    payment_ref: Option<String>,
    created_at: String,
    lines: Vec<OrderLine>,
}

/// The simulated payment service: accepts every card but [`DECLINED_CARD`].
#[derive(Debug, Default)]
pub struct Payments {
    accepted: AtomicU64,
}

impl Payments {
    /// The charge's reference, or why it was declined.
    ///
    /// # Errors
    /// [`ShopError::Declined`] for [`DECLINED_CARD`].
    pub fn charge(&self, order: i64, card: &str) -> Result<String, ShopError> {
        if card == DECLINED_CARD {
            return Err(ShopError::Declined("card declined"));
        }
        let n = self.accepted.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(format!("ch_{n:08}_order_{order}"))
    }
}

/// The digits of a card number.
#[must_use]
pub fn digits(card: &str) -> String {
    card.chars().filter(char::is_ascii_digit).collect()
}

/// 12 to 19 digits (spaces allowed) that pass the Luhn check.
#[must_use]
pub fn is_card_number(value: &str) -> bool {
    let digits = digits(value);
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    value.chars().all(|c| c.is_ascii_digit() || c == ' ')
        && (12..=19).contains(&digits.len())
        && sum.is_multiple_of(10)
}

type LineRow = (i64, String, i64, i64, i64, i64);

/// The lines of `user`'s cart, by product id.
async fn lines(tx: &mut Tx, user: i64) -> Result<Vec<CartLine>, ShopError> {
    let rows: Vec<LineRow> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT c.product_id, p.name, p.price_cents AS unit_price_cents, c.quantity, \
         c.quantity * p.price_cents AS line_total_cents, p.stock AS in_stock \
         FROM cart_items c JOIN products p ON p.id = c.product_id \
         WHERE c.user_id = $1 ORDER BY c.product_id",
    )
    .bind(user)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(product_id, name, unit_price_cents, quantity, line_total_cents, in_stock)| CartLine {
                product_id,
                name,
                unit_price_cents,
                quantity,
                line_total_cents,
                in_stock,
            },
        )
        .collect())
}

fn cart(items: Vec<CartLine>) -> Cart {
    Cart {
        item_count: items.iter().map(|l| l.quantity).sum(),
        total_cents: items.iter().map(|l| l.line_total_cents).sum(),
        items,
    }
}

/// A product row, as `examples/shop`'s `catalog::by_id` reads it.
type Product = (i64, String, String, String, i64, i64);

/// `POST /api/cart/items` of a [validated](AddItem::validate) item: adds
/// `quantity` of a product to what the cart has of it; the cart.
///
/// # Errors
/// `422` past [`MAX_QUANTITY`] in the cart, `404` for no such product.
pub async fn add(tx: &mut Tx, user: i64, item: &AddItem) -> Result<Cart, ShopError> {
    let product: Option<Product> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.stock FROM products p WHERE p.id = $1",
    )
    .bind(item.product_id)
    .fetch_optional(&mut *c)
    .await)?;
    product.ok_or(ShopError::NotFound("product"))?;
    let has: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar(
        "SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2",
    )
    .bind(user)
    .bind(item.product_id)
    .fetch_optional(&mut *c)
    .await)?;
    let quantity = has.unwrap_or(0) + item.quantity;
    if quantity > MAX_QUANTITY {
        return Err(ShopError::Invalid(
            "/quantity",
            format!("the cart would hold {quantity}; at most {MAX_QUANTITY} of one product"),
        ));
    }
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity",
    )
    .bind(user)
    .bind(item.product_id)
    .bind(quantity)
    .execute(&mut *c)
    .await
    .map(drop))?;
    Ok(cart(lines(tx, user).await?))
}

/// `POST /api/orders` with a [validated](CheckoutBody::validate) card:
/// reserves every line with the guarded decrement,
/// writes the order and its lines, charges the card, stores the charge's
/// reference and clears the lines bought; the order.
///
/// # Errors
/// `409` for an empty cart or a line out of stock, `402` for a declined card.
pub async fn checkout(
    tx: &mut Tx,
    payments: &Payments,
    user: i64,
    body: &CheckoutBody,
) -> Result<Order, ShopError> {
    let lines = lines(tx, user).await?;
    if lines.is_empty() {
        return Err(ShopError::CartEmpty);
    }
    for line in &lines {
        let reserved = on!(tx.conn(), c => sqlx::query(
            "UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
        )
        .bind(line.quantity)
        .bind(line.product_id)
        .execute(&mut *c)
        .await
        .map(|done| done.rows_affected()))?;
        if reserved != 1 {
            let left: i64 = on!(tx.conn(), c => sqlx::query_scalar(
                "SELECT stock FROM products WHERE id = $1",
            )
            .bind(line.product_id)
            .fetch_one(&mut *c)
            .await)?;
            return Err(ShopError::OutOfStock(
                line.product_id,
                line.name.clone(),
                left,
                line.quantity,
            ));
        }
    }
    let total: i64 = lines.iter().map(|l| l.line_total_cents).sum();
    let order: i64 = on!(tx.conn(), c => sqlx::query_scalar(
        "INSERT INTO orders (user_id, total_cents) VALUES ($1, $2) RETURNING id",
    )
    .bind(user)
    .bind(total)
    .fetch_one(&mut *c)
    .await)?;
    for line in &lines {
        on!(tx.conn(), c => sqlx::query(
            "INSERT INTO order_lines (order_id, product_id, name, quantity, unit_price_cents) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(order)
        .bind(line.product_id)
        .bind(&line.name)
        .bind(line.quantity)
        .bind(line.unit_price_cents)
        .execute(&mut *c)
        .await
        .map(drop))?;
    }
    let charge = payments.charge(order, &digits(&body.card))?;
    on!(tx.conn(), c => sqlx::query("UPDATE orders SET payment_ref = $1 WHERE id = $2")
        .bind(&charge)
        .bind(order)
        .execute(&mut *c)
        .await
        .map(drop))?;
    for line in &lines {
        on!(tx.conn(), c => sqlx::query(
            "DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2",
        )
        .bind(user)
        .bind(line.product_id)
        .execute(&mut *c)
        .await
        .map(drop))?;
    }
    detail(tx, user, order).await
}

/// The order `id` of `user`, with its lines.
async fn detail(tx: &mut Tx, user: i64, id: i64) -> Result<Order, ShopError> {
    let row: Option<(i64, i64, Option<String>, String)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT id, total_cents, payment_ref, created_at FROM orders WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *c)
    .await)?;
    let (id, total_cents, payment_ref, created_at) = row.ok_or(ShopError::NotFound("order"))?;
    let rows: Vec<(i64, String, i64, i64, i64)> = on!(tx.conn(), c => sqlx::query_as(
        "SELECT product_id, name, quantity, unit_price_cents, \
         quantity * unit_price_cents AS line_total_cents \
         FROM order_lines WHERE order_id = $1 ORDER BY product_id",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await)?;
    let lines = rows
        .into_iter()
        .map(
            |(product_id, name, quantity, unit_price_cents, line_total_cents)| OrderLine {
                product_id,
                name,
                quantity,
                unit_price_cents,
                line_total_cents,
            },
        )
        .collect();
    Ok(Order {
        id,
        total_cents,
        payment_ref,
        created_at,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement above is, but for white space, one of `examples/shop`'s.
    #[test]
    fn the_sql_is_the_examples() {
        let squeeze = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '\\')
                .collect()
        };
        let catalog = include_str!("../../../../examples/shop/catalog.rs");
        let columns = catalog
            .split("const COLUMNS: &str = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("catalog.rs has COLUMNS");
        let example = squeeze(
            &[
                catalog,
                include_str!("../../../../examples/shop/cart.rs"),
                include_str!("../../../../examples/shop/orders.rs"),
            ]
            .concat()
            .replace("{COLUMNS}", columns),
        );
        let code: Vec<&str> = include_str!("store.rs")
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        let code = code.join("\n");
        let mut statements = 0;
        for literal in code.split('"').skip(1).step_by(2) {
            if ["SELECT", "INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|k| literal.starts_with(k))
            {
                statements += 1;
                assert!(
                    example.contains(&squeeze(literal)),
                    "not examples/shop's SQL: {literal}"
                );
            }
        }
        assert_eq!(
            statements, 12,
            "every statement of add-to-cart and checkout"
        );
    }

    #[test]
    fn cards_are_checked_by_luhn() {
        assert!(is_card_number("4242 4242 4242 4242"));
        assert!(is_card_number(DECLINED_CARD));
        assert!(!is_card_number("4242 4242 4242 4241"), "bad check digit");
        assert!(!is_card_number("4242-4242-4242-4242"));
        assert!(!is_card_number("42"));
    }

    #[test]
    fn users_are_positive_integers() {
        assert_eq!(user(Some(b" 17 ")).unwrap(), 17);
        assert_eq!(user(None).unwrap_err().status(), 401);
        assert_eq!(user(Some(b"0")).unwrap_err().status(), 400);
        assert_eq!(user(Some(b"ada")).unwrap_err().status(), 400);
    }

    #[test]
    fn errors_carry_the_shops_codes() {
        let p = Payments::default();
        assert_eq!(
            p.charge(7, "4242424242424242").unwrap(),
            "ch_00000001_order_7"
        );
        let declined = p.charge(8, DECLINED_CARD).unwrap_err();
        assert_eq!(declined.status(), 402);
        assert_eq!(declined.body()["code"], "payment_declined");
        assert_eq!(ShopError::CartEmpty.body()["code"], "cart_empty");
    }
}
