//! The `shop` scenario's books, read from the database directly (not
//! through the server under test): the hot product's stock is set before
//! the checks, and after every timed run the harness checks that nothing
//! was oversold (stock + units sold = the stock set), that every order has
//! lines, a total equal to its lines' and a payment reference, and that the
//! orders written fit what `wrk` counted.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Connection as _, PgConnection, SqliteConnection};

use super::super::tfb::DbKind;
use super::super::wrk::WrkOutput;
use super::{HOT, HOT_STOCK};

/// One consistent reading (one statement, so one snapshot on both databases).
const READ: &str = "SELECT \
     (SELECT stock FROM products WHERE id = $1), \
     (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM order_lines WHERE product_id = $1), \
     (SELECT count(*) FROM orders), \
     (SELECT count(*) FROM orders o WHERE NOT EXISTS \
        (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)), \
     (SELECT count(*) FROM orders o WHERE o.payment_ref IS NULL OR o.total_cents <> \
        (SELECT CAST(COALESCE(SUM(l.quantity * l.unit_price_cents), 0) AS BIGINT) \
         FROM order_lines l WHERE l.order_id = o.id))";

/// The hot product's stock, set before the checks.
const SEED: &str = "UPDATE products SET stock = $1 WHERE id = $2";

/// What [`Ledger::read`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Books {
    /// The hot product's stock.
    pub stock: i64,
    /// Units of the hot product in order lines.
    pub sold: i64,
    /// Orders.
    pub orders: i64,
    /// Orders without a line.
    pub without_lines: i64,
    /// Orders without a payment reference, or whose total is not their lines'.
    pub bad_totals: i64,
}

impl Books {
    /// Every rule that holds at any moment.
    ///
    /// # Errors
    /// Each broken rule, with the figures.
    pub fn check(&self) -> Result<(), String> {
        let mut broken = Vec::new();
        if self.stock + self.sold != HOT_STOCK {
            broken.push(format!(
                "OVERSOLD or leaked: stock {} + sold {} = {}, the stock set was {HOT_STOCK}",
                self.stock,
                self.sold,
                self.stock + self.sold
            ));
        }
        if self.without_lines != 0 {
            broken.push(format!("{} orders without lines", self.without_lines));
        }
        if self.bad_totals != 0 {
            broken.push(format!(
                "{} orders unpaid or with a total other than their lines'",
                self.bad_totals
            ));
        }
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken.join("; "))
        }
    }
}

/// What one timed run did, as `wrk` counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Responses (half of them checkouts: each batch is an add and a checkout).
    pub responses: u64,
    /// Non-2xx responses.
    pub status_errors: u64,
    /// Socket errors and timeouts (each may cut a batch short).
    pub other_errors: u64,
    /// The run's connections.
    pub connections: u32,
    /// Requests that may still have been in flight from the run before (its connections).
    pub carried_over: u32,
}

impl Counted {
    /// What `out` counted in a run at `connections`, after one at up to `carried_over`.
    #[must_use]
    pub fn of(out: &WrkOutput, connections: u32, carried_over: u32) -> Counted {
        Counted {
            responses: out.requests,
            status_errors: out.errors.status,
            other_errors: out.errors.total() - out.errors.status,
            connections,
            carried_over,
        }
    }
}

/// Checks the orders written between `before` and `after` against what
/// `wrk` counted: every completed checkout is a committed order, and at
/// most one checkout per connection (this run's, and the one before's) was
/// in flight when its run stopped.
///
/// # Errors
/// A non-2xx response (each is a failed add or checkout), or an order
/// count outside the bounds.
pub fn settle(before: &Books, after: &Books, run: &Counted) -> Result<(), String> {
    after.check()?;
    if run.status_errors > 0 {
        return Err(format!(
            "{} responses were not 2xx (a checkout of an empty cart, out of stock, or a database error)",
            run.status_errors
        ));
    }
    let new = u64::try_from(after.orders - before.orders)
        .map_err(|_| format!("orders went down: {} then {}", before.orders, after.orders))?;
    let cut = u64::from(run.connections) + run.other_errors;
    let low = run.responses.saturating_sub(cut) / 2;
    let high = run.responses / 2 + u64::from(run.connections) + u64::from(run.carried_over);
    if (low..=high).contains(&new) {
        Ok(())
    } else {
        Err(format!(
            "{new} orders written, but wrk's {} responses mean {low} to {high}",
            run.responses
        ))
    }
}

/// The database of one `shop` server, opened by the harness itself.
pub struct Ledger {
    kind: DbKind,
    url: String,
    rt: tokio::runtime::Runtime,
}

fn sql_err(what: &'static str) -> impl Fn(sqlx::Error) -> String {
    move |e| format!("{what}: {e}")
}

impl Ledger {
    /// The ledger of the database at `url`.
    ///
    /// # Errors
    /// When the runtime cannot be built.
    pub fn new(kind: DbKind, url: &str) -> Result<Ledger, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Ledger {
            kind,
            url: url.to_owned(),
            rt,
        })
    }

    /// The server's SQLite file, opened in WAL as the servers open it (the
    /// audit's connection must not switch the file's journal mode under them).
    fn lite(&self) -> Result<SqliteConnectOptions, String> {
        Ok(SqliteConnectOptions::from_str(&self.url)
            .map_err(sql_err("the SQLite URL"))?
            .journal_mode(SqliteJournalMode::Wal))
    }

    /// Gives the hot product [`HOT_STOCK`] units.
    ///
    /// # Errors
    /// What the database answered.
    pub fn seed(&self) -> Result<(), String> {
        self.rt.block_on(async {
            let done = match self.kind {
                DbKind::Postgres => {
                    let mut c = PgConnection::connect(&self.url)
                        .await
                        .map_err(sql_err("connect"))?;
                    sqlx::query(SEED)
                        .bind(HOT_STOCK)
                        .bind(HOT)
                        .execute(&mut c)
                        .await
                        .map(|d| d.rows_affected())
                }
                DbKind::Sqlite => {
                    let mut c = SqliteConnection::connect_with(&self.lite()?)
                        .await
                        .map_err(sql_err("connect"))?;
                    sqlx::query(SEED)
                        .bind(HOT_STOCK)
                        .bind(HOT)
                        .execute(&mut c)
                        .await
                        .map(|d| d.rows_affected())
                }
            }
            .map_err(sql_err("seed the hot product"))?;
            if done == 1 {
                Ok(())
            } else {
                Err(format!("seed: product {HOT} is not in the catalog"))
            }
        })
    }

    /// Reads the books after a run and [settles](settle) them with `before`.
    ///
    /// # Errors
    /// What the database answered, or what [`settle`] found.
    pub fn after(&self, before: &Books, run: &Counted) -> Result<(), String> {
        settle(before, &self.read()?, run)
    }

    /// One reading of the books.
    ///
    /// # Errors
    /// What the database answered.
    pub fn read(&self) -> Result<Books, String> {
        type Row = (i64, i64, i64, i64, i64);
        self.rt.block_on(async {
            let row: Row = match self.kind {
                DbKind::Postgres => {
                    let mut c = PgConnection::connect(&self.url)
                        .await
                        .map_err(sql_err("connect"))?;
                    let row = sqlx::query_as(READ).bind(HOT).fetch_one(&mut c).await;
                    // Closed now: the backend's exit is not in the next run's database CPU.
                    let _ = c.close().await;
                    row
                }
                DbKind::Sqlite => {
                    let mut c = SqliteConnection::connect_with(&self.lite()?)
                        .await
                        .map_err(sql_err("connect"))?;
                    let row = sqlx::query_as(READ).bind(HOT).fetch_one(&mut c).await;
                    let _ = c.close().await;
                    row
                }
            }
            .map_err(sql_err("read the books"))?;
            let (stock, sold, orders, without_lines, bad_totals) = row;
            Ok(Books {
                stock,
                sold,
                orders,
                without_lines,
                bad_totals,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn books(stock: i64, sold: i64, orders: i64) -> Books {
        Books {
            stock,
            sold,
            orders,
            without_lines: 0,
            bad_totals: 0,
        }
    }

    #[test]
    fn an_oversell_or_a_leak_is_caught() {
        assert!(books(HOT_STOCK - 10, 10, 10).check().is_ok());
        let over = books(HOT_STOCK - 10, 11, 11).check().unwrap_err();
        assert!(over.contains("OVERSOLD"), "{over}");
        assert!(
            books(HOT_STOCK - 10, 9, 9).check().is_err(),
            "a reservation leaked"
        );
        let mut orphan = books(HOT_STOCK, 0, 1);
        orphan.without_lines = 1;
        assert!(orphan.check().unwrap_err().contains("without lines"));
    }

    #[test]
    fn orders_must_fit_wrks_count() {
        let run = Counted {
            responses: 1000,
            status_errors: 0,
            other_errors: 0,
            connections: 64,
            carried_over: 64,
        };
        let before = books(HOT_STOCK - 5, 5, 5);
        // 500 checkouts completed; 468 ..= 628 orders are possible.
        for (new, ok) in [
            (500, true),
            (468, true),
            (628, true),
            (467, false),
            (629, false),
        ] {
            let after = books(HOT_STOCK - 5 - new, 5 + new, 5 + new);
            assert_eq!(
                settle(&before, &after, &run).is_ok(),
                ok,
                "{new} new orders"
            );
        }
        let failed = Counted {
            status_errors: 3,
            ..run
        };
        let after = books(HOT_STOCK - 505, 505, 505);
        assert!(
            settle(&before, &after, &failed)
                .unwrap_err()
                .contains("not 2xx")
        );
    }
}
