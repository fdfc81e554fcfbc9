//! The signed-in user's cart: view it with its totals, add a product, set a
//! line's quantity, remove a line. Prices are today's; stock is reserved
//! only at checkout, so a cart may hold more than is left (the view shows
//! what is in stock).

use garde::Validate;
use kiln::prelude::*;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};

use crate::auth::Customer;
use crate::catalog;
use crate::db::{Conn, Read, Tx, on};
use crate::error::invalid;

/// The most of one product a cart line holds.
pub(crate) const MAX_QUANTITY: i64 = 99;

/// One line of the cart.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct CartLine {
    pub(crate) product_id: i64,
    pub(crate) name: String,
    pub(crate) unit_price_cents: i64,
    pub(crate) quantity: i64,
    pub(crate) line_total_cents: i64,
    /// How many are in stock now.
    pub(crate) in_stock: i64,
}

/// The cart as the API returns it.
#[derive(Debug, Serialize)]
pub(crate) struct Cart {
    items: Vec<CartLine>,
    /// Units in the cart, over every line.
    item_count: i64,
    total_cents: i64,
}

impl From<Vec<CartLine>> for Cart {
    fn from(items: Vec<CartLine>) -> Self {
        Cart {
            item_count: items.iter().map(|l| l.quantity).sum(),
            total_cents: items.iter().map(|l| l.line_total_cents).sum(),
            items,
        }
    }
}

/// The lines of `user`'s cart, by product id (the order checkout locks
/// products in, so two checkouts never wait for each other in a cycle).
pub(crate) async fn lines(conn: Conn<'_>, user: i64) -> Result<Vec<CartLine>, Error> {
    Ok(on!(conn, c => sqlx::query_as(
        "SELECT c.product_id, p.name, p.price_cents AS unit_price_cents, c.quantity, \
         c.quantity * p.price_cents AS line_total_cents, p.stock AS in_stock \
         FROM cart_items c JOIN products p ON p.id = c.product_id \
         WHERE c.user_id = $1 ORDER BY c.product_id",
    )
    .bind(user)
    .fetch_all(&mut *c)
    .await)?)
}

/// `GET /api/cart`.
#[handler]
pub(crate) async fn view(read: &mut Read, customer: &Customer) -> Result<Json<Cart>, Error> {
    Ok(Json(lines(read.conn(), customer.0).await?.into()))
}

/// `{"product_id": 3, "quantity": 2}`.
#[derive(Debug, Deserialize, Validate)]
pub(crate) struct AddItem {
    #[garde(range(min = 1))]
    product_id: i64,
    #[garde(range(min = 1, max = MAX_QUANTITY))]
    quantity: i64,
}

/// `{"quantity": 2}`.
#[derive(Debug, Deserialize, Validate)]
pub(crate) struct SetQuantity {
    #[garde(range(min = 1, max = MAX_QUANTITY))]
    quantity: i64,
}

/// Sets `user`'s line of `product` to `quantity`, creating it if need be.
async fn put_line(tx: &mut Tx, user: i64, product: i64, quantity: i64) -> Result<(), Error> {
    on!(tx.conn(), c => sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity",
    )
    .bind(user)
    .bind(product)
    .bind(quantity)
    .execute(&mut *c)
    .await
    .map(drop))?;
    Ok(())
}

/// `POST /api/cart/items`: adds `quantity` of a product (to what the cart
/// has of it already); `404` for no such product, `422` past 99 of one.
#[handler]
pub(crate) async fn add(
    tx: &mut Tx,
    customer: &Customer,
    Valid(Json(item)): Valid<Json<AddItem>>,
) -> Result<Json<Cart>, Error> {
    catalog::by_id(tx.conn(), item.product_id).await?;
    let has: Option<i64> = on!(tx.conn(), c => sqlx::query_scalar(
        "SELECT quantity FROM cart_items WHERE user_id = $1 AND product_id = $2",
    )
    .bind(customer.0)
    .bind(item.product_id)
    .fetch_optional(&mut *c)
    .await)?;
    let quantity = has.unwrap_or(0) + item.quantity;
    if quantity > MAX_QUANTITY {
        return Err(invalid(
            "/quantity",
            format!("the cart would hold {quantity}; at most {MAX_QUANTITY} of one product"),
        ));
    }
    put_line(tx, customer.0, item.product_id, quantity).await?;
    Ok(Json(lines(tx.conn(), customer.0).await?.into()))
}

/// `PUT /api/cart/items/{product_id}`: sets the line's quantity.
#[handler]
pub(crate) async fn set(
    tx: &mut Tx,
    customer: &Customer,
    Path(product): Path<i64>,
    Valid(Json(body)): Valid<Json<SetQuantity>>,
) -> Result<Json<Cart>, Error> {
    catalog::by_id(tx.conn(), product).await?;
    put_line(tx, customer.0, product, body.quantity).await?;
    Ok(Json(lines(tx.conn(), customer.0).await?.into()))
}

/// `DELETE /api/cart/items/{product_id}`: removes the line (if there was
/// none, the cart is unchanged: deleting is idempotent).
#[handler]
pub(crate) async fn remove(
    tx: &mut Tx,
    customer: &Customer,
    Path(product): Path<i64>,
) -> Result<Json<Cart>, Error> {
    on!(tx.conn(), c => sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND product_id = $2")
        .bind(customer.0)
        .bind(product)
        .execute(&mut *c)
        .await
        .map(drop))?;
    Ok(Json(lines(tx.conn(), customer.0).await?.into()))
}
