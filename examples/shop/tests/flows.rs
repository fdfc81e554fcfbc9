//! The API's flows in process (no socket): the catalog and search, the
//! cart, checkout and history, and what a failed checkout leaves behind
//! (nothing), each on SQLite and on Postgres.

use kiln::prelude::*;
use serde_json::{Value, json};

use super::support::{TestDb, exec, postgres, scalar, sqlite_memory, try_exec};
use crate::Shop;
use crate::payments::{DECLINED_CARD, GOOD_CARD, Payments};

/// Runs the flow `$flow` as two tests: on in-memory SQLite, and on a fresh
/// Postgres database when there is a server.
macro_rules! on_both {
    ($($flow:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $flow() {
                    super::$flow(super::sqlite_memory().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $flow() {
                    if let Some(db) = super::postgres(concat!("shop postgres ", stringify!($flow))).await {
                        super::$flow(db).await;
                    }
                }
            )*
        }
    };
}

on_both!(
    catalog_pages_and_products,
    search_matches_every_word_stemmed,
    cart_adds_changes_removes_with_totals,
    checkout_reserves_charges_and_records,
    declined_payment_leaves_nothing,
    out_of_stock_puts_earlier_lines_back,
    identity_and_input_errors,
);

fn client(db: &TestDb, payments: Payments) -> TestClient<Shop> {
    TestClient::new(crate::app(db.db.clone(), payments))
}

/// Sends `body` to `uri` as user `user` with `method`.
async fn send(
    c: &TestClient<Shop>,
    method: Method,
    uri: &str,
    user: i64,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = c
        .request(method, uri)
        .header("x-user-id", &user.to_string());
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await;
    let text = res.text();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{uri}: {e}: {text}"))
    };
    (res.status(), value)
}

async fn add(c: &TestClient<Shop>, user: i64, product: i64, quantity: i64) -> Value {
    let body = json!({"product_id": product, "quantity": quantity});
    let (status, cart) = send(c, Method::POST, "/api/cart/items", user, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    cart
}

async fn checkout(c: &TestClient<Shop>, user: i64, card: &str) -> (StatusCode, Value) {
    send(
        c,
        Method::POST,
        "/api/orders",
        user,
        Some(json!({"card": card})),
    )
    .await
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn catalog_pages_and_products(db: TestDb) {
    let c = client(&db, Payments::simulated());
    let page: Value = c.get("/api/products").send().await.json();
    assert_eq!(page["total"], 16, "the seeded catalog");
    assert_eq!(ids(&page), (1..=16).collect::<Vec<_>>());
    let page: Value = c.get("/api/products?limit=5&offset=5").send().await.json();
    assert_eq!(ids(&page), [6, 7, 8, 9, 10]);
    assert_eq!(
        (page["limit"].as_i64(), page["offset"].as_i64()),
        (Some(5), Some(5))
    );
    let page: Value = c.get("/api/products?offset=15").send().await.json();
    assert_eq!(ids(&page), [16]);

    let res = c.get("/api/products/3").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    let p: Value = res.json();
    assert_eq!(
        (
            p["name"].as_str(),
            p["price_cents"].as_i64(),
            p["stock"].as_i64()
        ),
        (Some("Burr coffee grinder"), Some(8900), Some(8))
    );
    let res = c.get("/api/products/999").send().await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.json::<Value>()["code"], "not_found");
    assert_eq!(
        c.get("/api/products/mug").send().await.status(),
        StatusCode::BAD_REQUEST
    );

    // Bad paging is a 422 naming the field, or a 400 when it is not a number.
    let res = c.get("/api/products?limit=0").send().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>()["errors"][0]["pointer"], "/limit");
    let res = c.get("/api/products?limit=101&offset=-1").send().await;
    assert_eq!(
        res.json::<Value>()["errors"].as_array().map(Vec::len),
        Some(2)
    );
    let res = c.get("/api/products?limit=lots").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>()["code"], "invalid_query");
}

async fn search_matches_every_word_stemmed(db: TestDb) {
    let c = client(&db, Payments::simulated());
    let search = |q: &str| c.get(&format!("/api/products/search?q={q}")).send();
    // Stemmed: "mugs" finds both mugs; the name outranks the description.
    let mut found = ids(&search("mugs").await.json());
    found.sort_unstable();
    assert_eq!(found, [1, 2]);
    assert_eq!(ids(&search("grinder").await.json()), [3]);
    // Every word must match: the two bags of beans and the canister "for beans".
    let page: Value = search("coffee%20beans").await.json();
    let found = ids(&page);
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(
        found.last(),
        Some(&16),
        "a description match ranks last: {found:?}"
    );
    assert!(
        found[..2].contains(&10) && found[..2].contains(&11),
        "{found:?}"
    );
    assert_eq!(
        ids(&search("coffee%20beans&limit=1&offset=2").await.json()),
        [16]
    );
    assert!(ids(&search("saxophone").await.json()).is_empty());
    // Search syntax in the input is text, never an error.
    let res = search("%22mug%20OR%20NEAR(x*").await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text());
    // Nothing to look for: 422 on `q`; no `q` at all: 400.
    let res = search("%22*()").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>()["errors"][0]["pointer"], "/q");
    let res = c.get("/api/products/search").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The index follows the catalog (SQLite: the update trigger; Postgres:
    // the generated column): a renamed product is found by its new text only.
    exec(
        &db.db,
        "UPDATE products SET name = 'Stoneware cup', description = 'Glazed, 350 ml.', stock = 39 WHERE id = 1",
    )
    .await;
    assert_eq!(ids(&search("mugs").await.json()), [2]);
    assert_eq!(ids(&search("stoneware%20cup").await.json()), [1]);
}

async fn cart_adds_changes_removes_with_totals(db: TestDb) {
    let c = client(&db, Payments::simulated());
    let (status, cart) = send(&c, Method::GET, "/api/cart", 1, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cart,
        json!({"items": [], "item_count": 0, "total_cents": 0})
    );

    add(&c, 1, 1, 2).await;
    add(&c, 1, 5, 1).await;
    let cart = add(&c, 1, 1, 1).await; // adds to the line
    assert_eq!(cart["items"][0]["quantity"], 3);
    assert_eq!(cart["items"][0]["line_total_cents"], 3600);
    assert_eq!(
        (cart["item_count"].as_i64(), cart["total_cents"].as_i64()),
        (Some(4), Some(5800))
    );

    let (status, cart) = send(
        &c,
        Method::PUT,
        "/api/cart/items/5",
        1,
        Some(json!({"quantity": 4})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cart["total_cents"], 3600 + 4 * 2200);
    let (_, cart) = send(&c, Method::DELETE, "/api/cart/items/5", 1, None).await;
    assert_eq!(cart["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(cart["total_cents"], 3600);
    // Deleting again is no error; the cart is as it was.
    let (status, again) = send(&c, Method::DELETE, "/api/cart/items/5", 1, None).await;
    assert_eq!((status, &again), (StatusCode::OK, &cart));

    // Carts are per user.
    let (_, other) = send(&c, Method::GET, "/api/cart", 2, None).await;
    assert_eq!(other["item_count"], 0);

    // No such product: 404; a bad quantity or too many of one: 422 on the field.
    let body = json!({"product_id": 999, "quantity": 1});
    let (status, err) = send(&c, Method::POST, "/api/cart/items", 1, Some(body)).await;
    assert_eq!(
        (status, &err["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    let body = json!({"product_id": 1, "quantity": 0});
    let (status, err) = send(&c, Method::POST, "/api/cart/items", 1, Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["errors"][0]["pointer"], "/quantity");
    let body = json!({"product_id": 1, "quantity": 97});
    let (status, err) = send(&c, Method::POST, "/api/cart/items", 1, Some(body)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "3 + 97 > 99: {err}"
    );
    let (status, _) = send(
        &c,
        Method::PUT,
        "/api/cart/items/999",
        1,
        Some(json!({"quantity": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, cart) = send(&c, Method::GET, "/api/cart", 1, None).await;
    assert_eq!(cart["total_cents"], 3600, "failed writes changed nothing");
}

async fn checkout_reserves_charges_and_records(db: TestDb) {
    let c = client(&db, Payments::simulated());
    add(&c, 7, 3, 2).await;
    add(&c, 7, 6, 1).await;
    let (status, order) = checkout(&c, 7, "4242 4242 4242 4242").await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total_cents"], 2 * 8900 + 600);
    assert_eq!(order["lines"][0]["product_id"], 3);
    assert_eq!(order["lines"][0]["quantity"], 2);
    assert!(
        order["payment_ref"].as_str().unwrap().starts_with("ch_"),
        "{order}"
    );
    let id = order["id"].as_i64().unwrap();

    // Stock went down by what was bought; the cart is empty.
    let p: Value = c.get("/api/products/3").send().await.json();
    assert_eq!(p["stock"], 6);
    let (_, cart) = send(&c, Method::GET, "/api/cart", 7, None).await;
    assert_eq!(cart["item_count"], 0);

    // History and detail, for their owner only.
    let (status, history) = send(&c, Method::GET, "/api/orders", 7, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["id"], id);
    assert_eq!(history["items"][0]["item_count"], 3);
    let url = format!("/api/orders/{id}");
    let (status, detail) = send(&c, Method::GET, &url, 7, None).await;
    assert_eq!((status, &detail), (StatusCode::OK, &order));
    let (status, _) = send(&c, Method::GET, &url, 8, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's order");
    let (_, history) = send(&c, Method::GET, "/api/orders", 8, None).await;
    assert_eq!(history["total"], 0);

    // A second order: newest first.
    add(&c, 7, 1, 1).await;
    let (status, second) = checkout(&c, 7, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, history) = send(&c, Method::GET, "/api/orders?limit=1", 7, None).await;
    assert_eq!(
        (history["total"].as_i64(), &history["items"][0]["id"]),
        (Some(2), &second["id"])
    );

    // Nothing left to buy.
    let (status, err) = checkout(&c, 7, GOOD_CARD).await;
    assert_eq!(
        (status, &err["code"]),
        (StatusCode::CONFLICT, &json!("cart_empty"))
    );
}

/// Counts what a checkout may write: orders, order lines, and stock.
async fn ledger(db: &TestDb) -> (i64, i64, i64) {
    (
        scalar(&db.db, "SELECT count(*) FROM orders").await,
        scalar(&db.db, "SELECT count(*) FROM order_lines").await,
        scalar(&db.db, "SELECT CAST(sum(stock) AS BIGINT) FROM products").await,
    )
}

async fn declined_payment_leaves_nothing(db: TestDb) {
    let c = client(&db, Payments::simulated().limit_cents(50_000));
    add(&c, 8, 4, 3).await;
    add(&c, 8, 10, 2).await;
    let before = ledger(&db).await;
    let (_, cart_before) = send(&c, Method::GET, "/api/cart", 8, None).await;

    let res = c
        .post("/api/orders")
        .header("x-user-id", "8")
        .json(&json!({"card": DECLINED_CARD}))
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let err: Value = res.json();
    assert_eq!(err["code"], "payment_declined");
    assert!(
        err["detail"].as_str().unwrap().contains("card declined"),
        "{err}"
    );
    // Stock, orders and lines as before; the cart kept for another try.
    assert_eq!(ledger(&db).await, before);
    assert_eq!(
        scalar(&db.db, "SELECT stock FROM products WHERE id = 4").await,
        12
    );
    let (_, cart) = send(&c, Method::GET, "/api/cart", 8, None).await;
    assert_eq!(cart, cart_before);

    // Over the card limit: declined by amount, same rollback.
    add(&c, 8, 3, 5).await; // 5 x 89.00 more: 535.00 in all
    let (status, err) = checkout(&c, 8, GOOD_CARD).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert!(err["detail"].as_str().unwrap().contains("limit"), "{err}");
    assert_eq!(ledger(&db).await, before);

    // The same cart goes through once it is within the limit.
    send(&c, Method::DELETE, "/api/cart/items/3", 8, None).await;
    let (status, order) = checkout(&c, 8, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (orders, lines, stock) = ledger(&db).await;
    assert_eq!(
        (orders, lines, stock),
        (before.0 + 1, before.1 + 2, before.2 - 5)
    );
}

async fn out_of_stock_puts_earlier_lines_back(db: TestDb) {
    let c = client(&db, Payments::simulated());
    // Product 1 (40 in stock) reserves first; product 13 has 9, the cart wants 10.
    add(&c, 9, 1, 1).await;
    add(&c, 9, 13, 10).await;
    let before = ledger(&db).await;
    let (status, err) = checkout(&c, 9, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "out_of_stock");
    let detail = err["detail"].as_str().unwrap();
    assert!(
        detail.contains("product 13") && detail.contains("9 in stock"),
        "{detail}"
    );
    assert_eq!(
        ledger(&db).await,
        before,
        "product 1's reservation was rolled back"
    );
    assert_eq!(
        scalar(&db.db, "SELECT stock FROM products WHERE id = 1").await,
        40
    );

    // Exactly the stock left is fine, and leaves zero.
    send(
        &c,
        Method::PUT,
        "/api/cart/items/13",
        9,
        Some(json!({"quantity": 9})),
    )
    .await;
    let (status, _) = checkout(&c, 9, GOOD_CARD).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        scalar(&db.db, "SELECT stock FROM products WHERE id = 13").await,
        0
    );
    add(&c, 9, 13, 1).await;
    let (status, err) = checkout(&c, 9, GOOD_CARD).await;
    assert_eq!(
        (status, &err["code"]),
        (StatusCode::CONFLICT, &json!("out_of_stock"))
    );
    // And the database itself refuses a negative stock.
    exec(&db.db, "UPDATE products SET stock = 0 WHERE id = 12").await;
    let negative = try_exec(&db.db, "UPDATE products SET stock = -1 WHERE id = 12").await;
    assert!(negative.is_err(), "CHECK (stock >= 0)");
}

async fn identity_and_input_errors(db: TestDb) {
    let c = client(&db, Payments::simulated());
    let res = c.get("/api/cart").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("www-authenticate"), Some("X-User-Id"));
    assert_eq!(res.json::<Value>()["code"], "unauthorized");
    for bad in ["zero", "0", "-3", ""] {
        let res = c.get("/api/orders").header("x-user-id", bad).send().await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(res.json::<Value>()["code"], "invalid_header");
    }
    // The catalog needs nobody.
    assert_eq!(c.get("/api/products").send().await.status(), StatusCode::OK);

    add(&c, 3, 1, 1).await;
    let before = ledger(&db).await;
    for card in ["4242 4242 4242 4241", "4242-4242-4242-4242", "", "12"] {
        let (status, err) = checkout(&c, 3, card).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{card:?}: {err}");
        assert_eq!(err["errors"][0]["pointer"], "/card");
    }
    let res = c
        .post("/api/orders")
        .header("x-user-id", "3")
        .header("content-type", "application/json")
        .body("{\"card\": ")
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>()["code"], "invalid_json");
    assert_eq!(ledger(&db).await, before);
}
