//! The `shop` scenario (issue 12 §4): create-order under contention, on
//! SQLite and on Postgres. kiln's side is the real `examples/shop` binary;
//! the peers are a shop subset in axum + sqlx ([`axum`]) and in actix-web +
//! sqlx ([`actix`]), on the same migration files with the same SQL
//! ([`store`]).
//!
//! The timed endpoint, `order`, is one order per batch of two pipelined
//! requests on a connection: `POST /api/cart/items` (one unit of the hot
//! product [`HOT`]) and `POST /api/orders` (checkout with a good card), by a
//! user new to every batch ([`script`]). HTTP/1.1 answers a connection's
//! requests in order, so the checkout always finds its cart line, and every
//! order in flight is a different user's, all reserving the same product
//! row: the contention is that row's lock (Postgres) or the one writer
//! (SQLite). wrk counts each response, so a "request" is half an order.
//! Its latency percentiles are not usable here: its coordinated-omission
//! correction expects one response per sample (a batch is one sample of
//! two responses) and adds samples below the minimum (p99 reads 0).
//!
//! Before timing, the harness gives each server a fresh database, sets the
//! hot product's stock to [`HOT_STOCK`] in the database itself (enough for
//! any run), and [`verify`] checks add-to-cart and checkout (status and JSON
//! shape), an empty cart, a declined card (nothing reserved, the cart kept),
//! a bad card, an unknown product and a missing user. After each timed run
//! [`audit`] reads the books from the database directly.

use serde_json::{Value, json};

use super::app_db::Migrations;
use super::check::{json_check as check, json_shape as shape};
use super::client;
use super::scenario::{Case, Expect, HeaderRule, Request, Scenario};
use super::tfb::DbKind;
use super::wrk;

pub mod actix;
pub mod audit;
pub mod axum;
pub mod report;
pub mod store;

use audit::Ledger;

/// `examples/migrations/shop`: the schema and the seed catalog, which the
/// peers run on their fresh database as kiln's shop does at startup.
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &[
        include_str!("../../../../examples/migrations/shop/sqlite/0001_schema.sql"),
        include_str!("../../../../examples/migrations/shop/sqlite/0002_seed.sql"),
    ],
    postgres: &[
        include_str!("../../../../examples/migrations/shop/postgres/0001_schema.sql"),
        include_str!("../../../../examples/migrations/shop/postgres/0002_seed.sql"),
    ],
};

/// The hot product every order buys (the seed catalog's first).
pub const HOT: i64 = 1;
/// Its price in the seed catalog, in cents.
pub const HOT_PRICE: i64 = 1200;
/// The hot product's stock during a run: far more than any run sells.
pub const HOT_STOCK: i64 = 1_000_000_000;
/// The header that names the user.
pub const USER_HEADER: &str = "x-user-id";
/// A card that is accepted.
pub const GOOD_CARD: &str = "4242 4242 4242 4242";
/// The user of the checked `order` request ([`prepare`] fills the cart).
const CHECK_USER: i64 = 1;
/// The environment variable with kiln's shop's database URL.
pub const SHOP_DB_ENV: &str = "DATABASE_URL";

/// The add-to-cart body: one unit of `product`.
#[must_use]
pub fn add_body(product: i64, quantity: i64) -> String {
    json!({"product_id": product, "quantity": quantity}).to_string()
}

/// The checkout body.
#[must_use]
pub fn checkout_body(card: &str) -> String {
    json!({"card": card}).to_string()
}

fn post(name: &str, path: &str, user: Option<i64>, body: String, status: u16) -> Request {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(user.map(|u| (USER_HEADER.to_owned(), u.to_string())));
    Request {
        name: name.to_owned(),
        path: path.to_owned(),
        headers,
        body: Some(body),
        expect: Expect {
            status,
            // Ids and timestamps differ, errors are each framework's: [`verify`] checks shapes.
            body: None,
            headers: if status < 300 {
                vec![(
                    "content-type".to_owned(),
                    HeaderRule::HasToken("application/json".to_owned()),
                )]
            } else {
                Vec::new()
            },
        },
    }
}

/// The case on one database.
#[must_use]
pub fn case(kind: DbKind) -> Case {
    Case {
        scenario: Scenario::Shop,
        variant: Some(format!("db={}", kind.name())),
        server_args: vec!["--db".into(), kind.name().into()],
        // Checked as one checkout of CHECK_USER's cart; timed as [`script`]'s batches.
        endpoints: vec![post(
            "order",
            "/api/orders",
            Some(CHECK_USER),
            checkout_body(GOOD_CARD),
            201,
        )],
        checks: vec![
            post(
                "checkout-without-user",
                "/api/orders",
                None,
                checkout_body(GOOD_CARD),
                401,
            ),
            post(
                "unknown-product",
                "/api/cart/items",
                Some(2),
                add_body(999_999, 1),
                404,
            ),
            post(
                "too-many",
                "/api/cart/items",
                Some(2),
                add_body(HOT, 100),
                422,
            ),
        ],
    }
}

/// The wrk script of the timed runs: each batch two pipelined requests
/// (wrk takes the pipeline depth from the first `request()`), add-to-cart
/// and checkout, for a user new to the batch. Ids are the run's start
/// second and the batch's number (runs last a second or more, one after
/// another, so no user comes back with a cart left by a cut batch).
#[must_use]
pub fn script() -> String {
    format!(
        "-- generated by kiln-http-suite (shop); do not edit\n\
         local run, n = tostring(os.time()), 0\n\
         local add, checkout = {add}, {checkout}\n\
         local function post(path, user, body)\n\
         \x20 return wrk.format(\"POST\", path, {{[\"Content-Type\"] = \"application/json\", [\"X-User-Id\"] = user}}, body)\n\
         end\n\
         request = function()\n\
         \x20 n = n + 1\n\
         \x20 local user = run .. string.format(\"%06d\", n)\n\
         \x20 return post(\"/api/cart/items\", user, add) .. post(\"/api/orders\", user, checkout)\n\
         end\n{done}",
        add = wrk::lua_string(&add_body(HOT, 1)),
        checkout = wrk::lua_string(&checkout_body(GOOD_CARD)),
        done = wrk::done_hook(),
    )
}

/// The environment and command line of a `shop` server on `port`: kiln's
/// (`example`) takes its own variables and no arguments.
pub fn launch(
    example: bool,
    port: u16,
    db_url: Option<&str>,
    env: &mut Vec<(&'static str, String)>,
    args: &mut Vec<String>,
) {
    if example {
        env.extend(db_url.map(|u| (SHOP_DB_ENV, u.to_owned())));
        env.push(("SHOP_ADDR", format!("127.0.0.1:{port}")));
        args.clear();
    }
}

fn call(port: u16, path: &str, user: Option<i64>, body: &str) -> Result<(u16, Value), String> {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(user.map(|u| (USER_HEADER.to_owned(), u.to_string())));
    let res = client::send(port, path, &headers, Some(body)).map_err(|e| format!("{path}: {e}"))?;
    let value = serde_json::from_slice(&res.body).unwrap_or(Value::Null);
    Ok((res.status, value))
}

fn want(what: &str, got: (u16, Value), status: u16) -> Result<Value, String> {
    if got.0 == status {
        Ok(got.1)
    } else {
        Err(format!(
            "{what}: status {} (want {status}): {}",
            got.0, got.1
        ))
    }
}

/// The cart after one unit of [`HOT`] was added to an empty one.
fn cart_shape(v: &Value) -> Result<(), String> {
    shape(
        "cart",
        v,
        &[
            ("items", Value::is_array),
            ("item_count", Value::is_i64),
            ("total_cents", Value::is_i64),
        ],
    )?;
    let items = v["items"].as_array().map_or(&[][..], Vec::as_slice);
    check("one line", items.len() == 1, v)?;
    let line = &items[0];
    shape(
        "cart line",
        line,
        &[
            ("product_id", Value::is_i64),
            ("name", Value::is_string),
            ("unit_price_cents", Value::is_i64),
            ("quantity", Value::is_i64),
            ("line_total_cents", Value::is_i64),
            ("in_stock", Value::is_i64),
        ],
    )?;
    check(
        "the hot product, once",
        line["product_id"] == HOT && line["quantity"] == 1,
        v,
    )?;
    check(
        "its price",
        line["line_total_cents"] == HOT_PRICE && v["total_cents"] == HOT_PRICE,
        v,
    )?;
    check("one unit", v["item_count"] == 1, v)
}

/// The order of one unit of [`HOT`].
fn order_shape(v: &Value) -> Result<(), String> {
    shape(
        "order",
        v,
        &[
            ("id", Value::is_i64),
            ("total_cents", Value::is_i64),
            ("payment_ref", Value::is_string),
            ("created_at", Value::is_string),
            ("lines", Value::is_array),
        ],
    )?;
    let lines = v["lines"].as_array().map_or(&[][..], Vec::as_slice);
    check("one line", lines.len() == 1, v)?;
    shape(
        "order line",
        &lines[0],
        &[
            ("product_id", Value::is_i64),
            ("name", Value::is_string),
            ("quantity", Value::is_i64),
            ("unit_price_cents", Value::is_i64),
            ("line_total_cents", Value::is_i64),
        ],
    )?;
    check(
        "the hot product",
        lines[0]["product_id"] == HOT && lines[0]["quantity"] == 1,
        v,
    )?;
    check("its total", v["total_cents"] == HOT_PRICE, v)
}

/// An error's `code` (kiln's problem+json and the peers' JSON both carry one).
fn code_is(what: &str, v: &Value, code: &str) -> Result<(), String> {
    check(&format!("{what}: code {code}"), v["code"] == code, v)
}

/// Checks add-to-cart and checkout on the server on `port`, and what the
/// books say after a declined card.
///
/// # Errors
/// Every mismatch, one per line.
pub fn verify(port: u16, ledger: &Ledger) -> Result<(), String> {
    let (buyer, declined) = (10, 11);
    let add = add_body(HOT, 1);
    let mut failures = Vec::new();
    let mut run = |name: &str, f: &dyn Fn() -> Result<(), String>| {
        if let Err(e) = f() {
            failures.push(format!("{name}: {e}"));
        }
    };
    run("add-to-cart", &|| {
        cart_shape(&want(
            "add",
            call(port, "/api/cart/items", Some(buyer), &add)?,
            200,
        )?)
    });
    run("checkout", &|| {
        let body = checkout_body(GOOD_CARD);
        order_shape(&want(
            "checkout",
            call(port, "/api/orders", Some(buyer), &body)?,
            201,
        )?)
    });
    run("empty-cart", &|| {
        let body = checkout_body(GOOD_CARD);
        let v = want(
            "checkout again",
            call(port, "/api/orders", Some(buyer), &body)?,
            409,
        )?;
        code_is("checkout again", &v, "cart_empty")
    });
    run("declined", &|| {
        want(
            "add",
            call(port, "/api/cart/items", Some(declined), &add)?,
            200,
        )?;
        let body = checkout_body(store::DECLINED_CARD);
        let v = want(
            "declined card",
            call(port, "/api/orders", Some(declined), &body)?,
            402,
        )?;
        code_is("declined card", &v, "payment_declined")?;
        let books = ledger.read()?;
        books.check()?;
        check(
            "one order so far",
            books.orders == 1,
            &json!(format!("{books:?}")),
        )?;
        // The cart was kept: a second unit makes two.
        let v = want(
            "add again",
            call(port, "/api/cart/items", Some(declined), &add)?,
            200,
        )?;
        check("the cart kept its line", v["item_count"] == 2, &v)
    });
    run("bad-card", &|| {
        let body = checkout_body("4242 4242 4242 4241");
        want(
            "bad card",
            call(port, "/api/orders", Some(declined), &body)?,
            422,
        )
        .map(drop)
    });
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Seeds the stock, runs [`verify`], and fills the cart of the user whose
/// checkout `check_case` sends next (the case's endpoint).
///
/// # Errors
/// What the seed, [`verify`] or the books found.
pub fn prepare(port: u16, ledger: &Ledger) -> Result<(), String> {
    ledger.seed()?;
    verify(port, ledger)?;
    ledger.read()?.check()?;
    want(
        "the checked order's cart",
        call(port, "/api/cart/items", Some(CHECK_USER), &add_body(HOT, 1))?,
        200,
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_pipelines_an_add_and_a_checkout_per_user() {
        let s = script();
        let (add, checkout) = (
            s.find("post(\"/api/cart/items\", user, add)").unwrap(),
            s.find("post(\"/api/orders\", user, checkout)").unwrap(),
        );
        assert!(add < checkout, "{s}");
        assert!(
            s.contains(r#"local add, checkout = "{\"product_id\":1,\"quantity\":1}""#),
            "{s}"
        );
        assert!(s.contains("[\"X-User-Id\"] = user"), "{s}");
        assert!(s.contains("done = function"), "{s}");
    }

    #[test]
    fn kiln_gets_its_own_settings() {
        let (mut env, mut args) = (Vec::new(), vec!["--scenario".to_owned()]);
        launch(false, 9, Some("sqlite://x"), &mut env, &mut args);
        assert_eq!(
            args,
            ["--scenario"],
            "the peers keep the common command line"
        );
        assert!(env.is_empty());
        launch(true, 9, Some("sqlite://x"), &mut env, &mut args);
        assert!(args.is_empty());
        assert!(env.contains(&(SHOP_DB_ENV, "sqlite://x".to_owned())));
        assert!(env.contains(&("SHOP_ADDR", "127.0.0.1:9".to_owned())));
    }

    #[test]
    fn shapes_are_checked() {
        let line = json!({"product_id": HOT, "name": "mug", "unit_price_cents": HOT_PRICE,
            "quantity": 1, "line_total_cents": HOT_PRICE, "in_stock": 5});
        let cart = json!({"items": [line], "item_count": 1, "total_cents": HOT_PRICE});
        assert!(cart_shape(&cart).is_ok());
        let mut two = cart.clone();
        two["item_count"] = json!(2);
        assert!(cart_shape(&two).is_err());
        let order = json!({"id": 3, "total_cents": HOT_PRICE, "payment_ref": "ch_1",
            "created_at": "now", "lines": [{"product_id": HOT, "name": "mug", "quantity": 1,
            "unit_price_cents": HOT_PRICE, "line_total_cents": HOT_PRICE}]});
        assert!(order_shape(&order).is_ok());
        let mut unpaid = order;
        unpaid["payment_ref"] = Value::Null;
        assert!(order_shape(&unpaid).unwrap_err().contains("payment_ref"));
    }
}
