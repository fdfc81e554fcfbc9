//! The product catalog: the list (paged), one product, and full-text search
//! over names and descriptions (SQLite FTS5 with the porter stemmer,
//! Postgres `tsvector` with `websearch_to_tsquery`), best match first.

use garde::Validate;
use kiln::prelude::*;
use kiln::validate::Valid;
use serde::{Deserialize, Serialize};

use crate::db::{Conn, Read, on};
use crate::error::{invalid, not_found};
use crate::page::{MAX_LIMIT, Page, PageQuery};

/// A product as the API returns it; prices are integer cents.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct Product {
    pub(crate) id: i64,
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_cents: i64,
    pub(crate) stock: i64,
}

const COLUMNS: &str = "p.id, p.sku, p.name, p.description, p.price_cents, p.stock";

/// `GET /api/products`: by id, a page at a time.
#[handler]
pub(crate) async fn list(
    read: &mut Read,
    Valid(Query(page)): Valid<Query<PageQuery>>,
) -> Result<Json<Page<Product>>, Error> {
    let sql = format!("SELECT {COLUMNS} FROM products p ORDER BY p.id LIMIT $1 OFFSET $2");
    let mut conn = read.conn();
    let items: Vec<Product> = on!(&mut conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut **c)
        .await)?;
    let total: i64 = on!(&mut conn, c => sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&mut **c)
        .await)?;
    Ok(Json(Page {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// The product `id`, `404` when there is none.
pub(crate) async fn by_id(conn: Conn<'_>, id: i64) -> Result<Product, Error> {
    let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
    let row: Option<Product> = on!(conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    row.ok_or_else(|| not_found("product"))
}

/// `GET /api/products/{id}`.
#[handler]
pub(crate) async fn get(read: &mut Read, Path(id): Path<i64>) -> Result<Json<Product>, Error> {
    Ok(Json(by_id(read.conn(), id).await?))
}

/// `?q=` (what to look for), `&limit=`, `&offset=`.
#[derive(Debug, Deserialize, Validate)]
pub(crate) struct SearchQuery {
    #[garde(length(chars, min = 1, max = 200))]
    q: String,
    #[garde(range(min = 1, max = MAX_LIMIT))]
    #[serde(default = "crate::page::default_limit")]
    limit: i64,
    #[garde(range(min = 0))]
    #[serde(default)]
    offset: i64,
}

/// At most this many words of a query are used.
const MAX_WORDS: usize = 16;

/// The words of a search: runs of letters and digits (everything else,
/// operators and quotes included, separates them).
fn words(q: &str) -> Vec<&str> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .collect()
}

/// An FTS5 query that matches rows with every word: each word quoted, so
/// that user input is never FTS5 syntax (`AND`, `NEAR(`, `"` or `*` would
/// otherwise be operators, or a syntax error).
fn fts5_query(words: &[&str]) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('"');
        out.push_str(w);
        out.push('"');
    }
    out
}

/// `GET /api/products/search?q=`: products whose name or description has
/// every word (stemmed: "mugs" finds "mug"), best match first.
#[handler]
pub(crate) async fn search(
    read: &mut Read,
    Valid(Query(s)): Valid<Query<SearchQuery>>,
) -> Result<Json<Page<Product>>, Error> {
    let words = words(&s.q);
    if words.is_empty() {
        return Err(invalid("/q", "must contain a word".into()));
    }
    let (items, total) = match read.conn() {
        Conn::Sqlite(c) => {
            let query = fts5_query(&words);
            // The name weighs 4 times the description in the ranking.
            let sql = format!(
                "SELECT {COLUMNS} FROM products_fts JOIN products p ON p.id = products_fts.rowid \
                 WHERE products_fts MATCH $1 ORDER BY bm25(products_fts, 4.0, 1.0), p.id \
                 LIMIT $2 OFFSET $3"
            );
            let items: Vec<Product> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&query)
                .bind(s.limit)
                .bind(s.offset)
                .fetch_all(&mut *c)
                .await?;
            let total: i64 =
                sqlx::query_scalar("SELECT count(*) FROM products_fts WHERE products_fts MATCH $1")
                    .bind(&query)
                    .fetch_one(&mut *c)
                    .await?;
            (items, total)
        }
        Conn::Postgres(c) => {
            // websearch_to_tsquery never fails on syntax: quotes, `or` and `-` mean
            // what they do in a web search box.
            let sql = format!(
                "SELECT {COLUMNS} FROM products p, websearch_to_tsquery('english', $1) AS q \
                 WHERE p.search @@ q ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT $2 OFFSET $3"
            );
            let items: Vec<Product> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&s.q)
                .bind(s.limit)
                .bind(s.offset)
                .fetch_all(&mut *c)
                .await?;
            let total: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM products WHERE search @@ websearch_to_tsquery('english', $1)",
            )
            .bind(&s.q)
            .fetch_one(&mut *c)
            .await?;
            (items, total)
        }
    };
    Ok(Json(Page {
        items,
        total,
        limit: s.limit,
        offset: s.offset,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_input_is_words_never_fts5_syntax() {
        assert_eq!(fts5_query(&words("coffee mug")), r#""coffee" "mug""#);
        assert_eq!(
            fts5_query(&words(r#"mug" OR NEAR(x* ^y"#)),
            r#""mug" "OR" "NEAR" "x" "y""#
        );
        assert!(words(r#" "*()- "#).is_empty());
        assert_eq!(words(&"a ".repeat(40)).len(), MAX_WORDS);
        assert_eq!(words("thé vert"), ["thé", "vert"]);
    }
}
