//! Orders: checkout (reserve the stock, write the order, charge the card,
//! all in the request's one transaction), the user's order history, and one
//! order in detail.
//!
//! Checkout reserves each line with a guarded decrement,
//! `UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1`:
//! the row count says whether the units were there, and the database's row
//! lock (SQLite: its one writer) makes check and decrement one step, so two
//! buyers of the last unit cannot both get it. When the card is declined the
//! handler returns `402`, kiln rolls the transaction back, and with it the
//! reservation, the order and its lines: nothing of the attempt remains.
//!
//! The price of one transaction around the charge: it is held for the
//! payment service's latency, which on SQLite (one writer) serializes
//! checkouts for that long, and on Postgres holds the reserved products'
//! row locks. A shop at scale would reserve with an expiry and pay outside
//! the transaction; the example keeps the one-transaction shape on purpose.

use garde::Validate;
use kiln::prelude::*;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};

use crate::auth::Customer;
use crate::cart;
use crate::db::{Conn, Read, Tx, on};
use crate::error::{cart_empty, not_found, out_of_stock, payment_declined};
use crate::page::{Page, PageQuery};
use crate::payments::Payments;

/// `{"card": "4242 4242 4242 4242"}`: what to charge.
#[derive(Debug, Deserialize, Validate)]
pub(crate) struct CheckoutBody {
    #[garde(custom(card_number))]
    card: String,
}

/// 12 to 19 digits (spaces allowed) that pass the Luhn check.
// garde calls custom rules as `fn(&T, &Context)`; the context here is `()`.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn card_number(value: &str, _: &()) -> garde::Result {
    let digits = digits(value);
    let only_digits = value.chars().all(|c| c.is_ascii_digit() || c == ' ');
    if !only_digits || !(12..=19).contains(&digits.len()) || !luhn(&digits) {
        return Err(garde::Error::new("is not a card number"));
    }
    Ok(())
}

fn digits(card: &str) -> String {
    card.chars().filter(char::is_ascii_digit).collect()
}

/// The Luhn checksum every card number carries in its last digit.
fn luhn(digits: &str) -> bool {
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
    sum.is_multiple_of(10)
}

/// One line of an order, at the price it was bought at.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct OrderLine {
    product_id: i64,
    name: String,
    quantity: i64,
    unit_price_cents: i64,
    line_total_cents: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct OrderRow {
    id: i64,
    total_cents: i64,
    payment_ref: Option<String>,
    created_at: String,
}

/// An order with its lines.
#[derive(Debug, Serialize)]
pub(crate) struct Order {
    id: i64,
    total_cents: i64,
    /// The payment service's reference for the charge.
    payment_ref: Option<String>,
    created_at: String,
    lines: Vec<OrderLine>,
}

/// An order in the history list.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct OrderSummary {
    id: i64,
    total_cents: i64,
    item_count: i64,
    payment_ref: Option<String>,
    created_at: String,
}

/// The order `id` if it is `user`'s; `404` otherwise.
async fn detail(mut conn: Conn<'_>, user: i64, id: i64) -> Result<Order, Error> {
    let row: Option<OrderRow> = on!(&mut conn, c => sqlx::query_as(
        "SELECT id, total_cents, payment_ref, created_at FROM orders WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(&mut **c)
    .await)?;
    let row = row.ok_or_else(|| not_found("order"))?;
    let lines: Vec<OrderLine> = on!(&mut conn, c => sqlx::query_as(
        "SELECT product_id, name, quantity, unit_price_cents, \
         quantity * unit_price_cents AS line_total_cents \
         FROM order_lines WHERE order_id = $1 ORDER BY product_id",
    )
    .bind(id)
    .fetch_all(&mut **c)
    .await)?;
    Ok(Order {
        id: row.id,
        total_cents: row.total_cents,
        payment_ref: row.payment_ref,
        created_at: row.created_at,
        lines,
    })
}

/// `POST /api/orders`: checks the cart out. `201` with the order; `409`
/// `cart_empty`, `409` `out_of_stock` (which product, how many are left),
/// or `402` `payment_declined`, each leaving stock, orders and cart as they
/// were.
#[handler]
pub(crate) async fn checkout(
    tx: &mut Tx,
    customer: &Customer,
    payments: &Payments,
    Valid(Json(body)): Valid<Json<CheckoutBody>>,
) -> Result<(StatusCode, Json<Order>), Error> {
    let user = customer.0;
    let lines = cart::lines(tx.conn(), user).await?;
    if lines.is_empty() {
        return Err(cart_empty());
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
            // Read again: the stock in the cart's read may be stale by now.
            let left: i64 = on!(tx.conn(), c => sqlx::query_scalar(
                "SELECT stock FROM products WHERE id = $1",
            )
            .bind(line.product_id)
            .fetch_one(&mut *c)
            .await)?;
            return Err(out_of_stock(
                line.product_id,
                &line.name,
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
    // Last, so that a charge is only made for an order that is all written.
    // (A real processor would authorize here and capture after the commit.)
    let charge = payments
        .charge(order, total, &digits(&body.card))
        .await
        .map_err(|declined| payment_declined(declined.0))?;
    on!(tx.conn(), c => sqlx::query("UPDATE orders SET payment_ref = $1 WHERE id = $2")
        .bind(&charge)
        .bind(order)
        .execute(&mut *c)
        .await
        .map(drop))?;
    // Only the lines bought: one added by a concurrent request since the
    // cart was read stays in the cart.
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
    let order = detail(tx.conn(), user, order).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// `GET /api/orders`: the user's orders, newest first.
#[handler]
pub(crate) async fn history(
    read: &mut Read,
    customer: &Customer,
    Valid(Query(page)): Valid<Query<PageQuery>>,
) -> Result<Json<Page<OrderSummary>>, Error> {
    let mut conn = read.conn();
    let items: Vec<OrderSummary> = on!(&mut conn, c => sqlx::query_as(
        "SELECT o.id, o.total_cents, o.payment_ref, o.created_at, \
         CAST(COALESCE((SELECT sum(l.quantity) FROM order_lines l WHERE l.order_id = o.id), 0) AS BIGINT) \
           AS item_count \
         FROM orders o WHERE o.user_id = $1 ORDER BY o.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(customer.0)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut **c)
    .await)?;
    let total: i64 = on!(&mut conn, c => sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE user_id = $1",
    )
    .bind(customer.0)
    .fetch_one(&mut **c)
    .await)?;
    Ok(Json(Page {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// `GET /api/orders/{id}`: one of the user's orders, with its lines.
#[handler]
pub(crate) async fn get(
    read: &mut Read,
    customer: &Customer,
    Path(id): Path<i64>,
) -> Result<Json<Order>, Error> {
    Ok(Json(detail(read.conn(), customer.0, id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_checked_by_luhn() {
        assert!(card_number("4242 4242 4242 4242", &()).is_ok());
        assert!(card_number(crate::payments::DECLINED_CARD, &()).is_ok());
        assert!(
            card_number("4242 4242 4242 4241", &()).is_err(),
            "bad check digit"
        );
        assert!(card_number("4242-4242-4242-4242", &()).is_err());
        assert!(card_number("42", &()).is_err());
        assert!(card_number("", &()).is_err());
    }
}
