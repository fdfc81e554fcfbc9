//! 64 concurrent buyers of the last units of a product, over HTTP (the app
//! served by `kiln::serve` on an ephemeral port, one connection per
//! client), some paying with a card that is declined. Whatever the
//! interleaving: exactly `min(stock, paying buyers)` orders, the stock
//! never negative, stock + sold = the initial stock (no reservation leaks
//! from a declined payment), and every buyer gets `201`, or `409`
//! `out_of_stock` / `402` `payment_declined`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kiln::prelude::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Barrier;

use super::support::{TestDb, exec, postgres, scalar, sqlite_file};
use crate::db::Database;
use crate::payments::{DECLINED_CARD, GOOD_CARD, Payments};

const BUYERS: i64 = 64;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Serves the shop on `db` on a free port of 127.0.0.1. Charges take 2 ms,
/// so reservations overlap in time (on Postgres; SQLite's one writer
/// serializes the checkouts whatever the latency).
async fn serve(db: &Database) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let payments = Payments::simulated().latency(Duration::from_millis(2));
    tokio::spawn(
        kiln::serve(crate::app(db.clone(), payments))
            .with_shutdown(std::future::pending())
            .listen(listener),
    );
    addr
}

async fn post(
    http: &HttpClient,
    addr: SocketAddr,
    path: &str,
    user: i64,
    body: &Value,
) -> (StatusCode, Value) {
    let req = kiln::http::Request::post(format!("http://{addr}{path}"))
        .header("x-user-id", user.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let res = http.request(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// What one run ended with.
#[derive(Debug, Default)]
struct Outcome {
    created: i64,
    out_of_stock: i64,
    declined: i64,
}

/// `BUYERS` users each put one unit of a new product with `stock` in their
/// cart, then check out at once; the buyers `i` with `declines(i)` pay
/// with the declined card.
async fn race(
    db: &Database,
    addr: SocketAddr,
    product: i64,
    stock: i64,
    declines: fn(i64) -> bool,
) -> Outcome {
    let sql = format!(
        "INSERT INTO products (id, sku, name, description, price_cents, stock) \
         VALUES ({product}, 'LAST-{product}', 'Last units', 'The contended product.', 500, {stock})"
    );
    exec(db, &sql).await;
    let http: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let start = Arc::new(Barrier::new(usize::try_from(BUYERS).unwrap()));
    let mut tasks = Vec::new();
    for i in 0..BUYERS {
        let (http, start) = (http.clone(), start.clone());
        let user = product * 1000 + i;
        tasks.push(tokio::spawn(async move {
            let item = json!({"product_id": product, "quantity": 1});
            let (status, body) = post(&http, addr, "/api/cart/items", user, &item).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            start.wait().await;
            let card = if declines(i) {
                DECLINED_CARD
            } else {
                GOOD_CARD
            };
            let (status, body) =
                post(&http, addr, "/api/orders", user, &json!({"card": card})).await;
            (i, status, body)
        }));
    }
    let started = std::time::Instant::now();
    let mut outcome = Outcome::default();
    for task in tasks {
        let (i, status, body) = task.await.unwrap();
        match (status, body["code"].as_str()) {
            (StatusCode::CREATED, _) => {
                assert!(!declines(i), "buyer {i} paid with a declined card: {body}");
                assert_eq!(body["lines"][0]["quantity"], 1, "{body}");
                outcome.created += 1;
            }
            (StatusCode::CONFLICT, Some("out_of_stock")) => outcome.out_of_stock += 1,
            (StatusCode::PAYMENT_REQUIRED, Some("payment_declined")) => {
                assert!(declines(i), "buyer {i} was declined with a good card");
                outcome.declined += 1;
            }
            _ => panic!("buyer {i}: {status} {body}"),
        }
    }
    println!(
        "{}: product {product}, stock {stock}: {outcome:?} in {:?}",
        db.backend(),
        started.elapsed()
    );
    outcome
}

/// The database agrees with what the buyers were told.
async fn audit(db: &Database, product: i64, initial: i64, outcome: &Outcome) {
    let stock = scalar(
        db,
        &format!("SELECT stock FROM products WHERE id = {product}"),
    )
    .await;
    let sold = scalar(
        db,
        &format!(
            "SELECT CAST(COALESCE(sum(quantity), 0) AS BIGINT) FROM order_lines WHERE product_id = {product}"
        ),
    )
    .await;
    let users = (product * 1000, product * 1000 + BUYERS);
    let orders = scalar(
        db,
        &format!(
            "SELECT count(*) FROM orders WHERE user_id >= {} AND user_id < {}",
            users.0, users.1
        ),
    )
    .await;
    let unpaid = scalar(
        db,
        &format!(
            "SELECT count(*) FROM orders WHERE user_id >= {} AND user_id < {} AND payment_ref IS NULL",
            users.0, users.1
        ),
    )
    .await;
    let carts = scalar(
        db,
        &format!("SELECT count(*) FROM cart_items WHERE product_id = {product}"),
    )
    .await;
    assert!(stock >= 0, "stock {stock}");
    assert_eq!(
        stock + sold,
        initial,
        "stock {stock} + sold {sold}: a reservation leaked"
    );
    assert_eq!(orders, outcome.created, "an order per 201, no other");
    assert_eq!(sold, outcome.created, "one unit per order");
    assert_eq!(unpaid, 0);
    assert_eq!(
        carts,
        BUYERS - outcome.created,
        "only the buyers' carts were emptied"
    );
}

async fn contention(db: TestDb) {
    let db = &db.db;
    let addr = serve(db).await;

    // Stock 10, one buyer in 4 declined (48 pay): the 10 units go to 10 payers.
    let stock = 10;
    let outcome = race(db, addr, 100, stock, |i| i % 4 == 0).await;
    let payers = (0..BUYERS).filter(|i| i % 4 != 0).count();
    let payers = i64::try_from(payers).unwrap();
    assert_eq!(outcome.created, stock.min(payers), "{outcome:?}");
    assert_eq!(
        outcome.created + outcome.out_of_stock + outcome.declined,
        BUYERS
    );
    audit(db, 100, stock, &outcome).await;

    // Stock 10, only 6 pay: every declined buyer got to the payment (a
    // declined reservation never held a unit back), and 4 units are left.
    let outcome = race(db, addr, 200, stock, |i| i >= 6).await;
    assert_eq!(
        (outcome.created, outcome.declined, outcome.out_of_stock),
        (6, BUYERS - 6, 0),
        "{outcome:?}"
    );
    audit(db, 200, stock, &outcome).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_sqlite() {
    contention(sqlite_file().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_units_postgres() {
    if let Some(db) = postgres("shop postgres last_units").await {
        contention(db).await;
    }
}
