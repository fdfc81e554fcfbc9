//! The TFB verifier: checks every endpoint of a `db` server against TFB's
//! rules before anything is timed, the way TFB's own `toolset/test_types`
//! do, and fails loudly with every difference found.
//!
//! Every response must carry `Server`, a valid and uncached `Date`, a
//! `Content-Type` of the test's kind and a `Content-Length` or
//! `Transfer-Encoding`. Bodies: JSON of the right shape (`{"message":...}`,
//! `{"id","randomNumber"}` objects, arrays of the clamped length for
//! `queries` = 2, 0, foo, 501 and empty); the rows' numbers are the ones in
//! the database (read directly, not through the server); fortunes compared
//! after TFB's normalisation (equivalent escapes accepted, unescaped markup
//! rejected); `/updates` must really have changed the rows it returned.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use sqlx::Connection as _;

use super::super::client::{self, Response};
use super::{DbKind, EXTRA_FORTUNE, FORTUNES, MAX_QUERIES, World};

/// Which content type a test must answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Text,
    Html,
}

fn content_type_ok(kind: Kind, ct: &str) -> bool {
    let ct = ct.to_ascii_lowercase();
    let (base, charset) = match ct.split_once(';') {
        Some((b, rest)) => (b.trim().to_owned(), Some(rest.trim().to_owned())),
        None => (ct.trim().to_owned(), None),
    };
    let utf8 = |c: &Option<String>| c.as_deref() == Some("charset=utf-8");
    match kind {
        Kind::Json => base == "application/json" && (charset.is_none() || utf8(&charset)),
        Kind::Text => base == "text/plain" && (charset.is_none() || utf8(&charset)),
        Kind::Html => base == "text/html" && utf8(&charset),
    }
}

/// TFB's header rules for one response.
fn headers(res: &Response, kind: Kind) -> Vec<String> {
    let mut out = Vec::new();
    for h in ["server", "date", "content-type"] {
        if res.header(h).is_none() {
            out.push(format!("required header `{h}` missing"));
        }
    }
    if res.header("content-length").is_none() && res.header("transfer-encoding").is_none() {
        out.push("neither `content-length` nor `transfer-encoding`".into());
    }
    if let Some(date) = res.header("date")
        && httpdate::parse_http_date(&date).is_err()
    {
        out.push(format!("`date` {date:?} is not an HTTP date"));
    }
    if let Some(ct) = res.header("content-type")
        && !content_type_ok(kind, &ct)
    {
        out.push(format!("`content-type` {ct:?} is wrong for {kind:?}"));
    }
    out
}

/// The rows as the database has them, read directly.
///
/// # Errors
/// When the database cannot be read.
pub async fn world_table(db: DbKind, url: &str) -> Result<HashMap<i32, i32>, String> {
    let sql = "SELECT id, randomnumber FROM world";
    let rows: Vec<(i32, i32)> = match db {
        DbKind::Postgres => {
            let mut c = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query_as(sql).fetch_all(&mut c).await
        }
        DbKind::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query_as(sql).fetch_all(&mut c).await
        }
    }
    .map_err(|e| format!("reading world: {e}"))?;
    Ok(rows.into_iter().collect())
}

/// What to verify.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The server's port on 127.0.0.1.
    pub port: u16,
    /// Its database.
    pub db: DbKind,
    /// The database's URL (to read `world` directly).
    pub url: &'a str,
}

struct Verifier<'a> {
    target: Target<'a>,
    failures: Vec<String>,
    table: HashMap<i32, i32>,
}

impl Verifier<'_> {
    fn get(&mut self, path: &str, kind: Kind) -> Option<Response> {
        match client::get(self.target.port, path, &[]) {
            Ok(res) if res.status == 200 => {
                for p in headers(&res, kind) {
                    self.failures.push(format!("{path}: {p}"));
                }
                Some(res)
            }
            Ok(res) => {
                self.failures.push(format!(
                    "{path}: status {} ({:?})",
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
                None
            }
            Err(e) => {
                self.failures.push(format!("{path}: request failed: {e}"));
                None
            }
        }
    }

    fn fail(&mut self, path: &str, what: impl std::fmt::Display) {
        self.failures.push(format!("{path}: {what}"));
    }

    /// A `World` object whose number matches the table (`check_value`).
    fn world(&mut self, path: &str, v: &serde_json::Value, check_value: bool) -> Option<World> {
        let Some(obj) = v.as_object() else {
            self.fail(path, format!("not a JSON object: {v}"));
            return None;
        };
        if obj.len() != 2 {
            self.fail(
                path,
                format!("object has keys other than id, randomNumber: {v}"),
            );
        }
        let w: World = match serde_json::from_value(v.clone()) {
            Ok(w) => w,
            Err(e) => {
                self.fail(
                    path,
                    format!("not {{\"id\", \"randomNumber\"}} integers: {e}: {v}"),
                );
                return None;
            }
        };
        if !(1..=super::WORLD_ROWS).contains(&w.id) {
            self.fail(path, format!("id {} outside 1..=10000", w.id));
        }
        if check_value && self.table.get(&w.id) != Some(&w.random_number) {
            self.fail(
                path,
                format!(
                    "row {} says randomNumber {} but the database has {:?}",
                    w.id,
                    w.random_number,
                    self.table.get(&w.id)
                ),
            );
        }
        Some(w)
    }

    fn json(&mut self, path: &str) -> Option<serde_json::Value> {
        let res = self.get(path, Kind::Json)?;
        match serde_json::from_slice(&res.body) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(path, format!("invalid JSON: {e}"));
                None
            }
        }
    }

    /// An array of `expected` worlds.
    fn list(&mut self, path: &str, expected: usize, check_value: bool) -> Vec<World> {
        let Some(v) = self.json(path) else {
            return Vec::new();
        };
        let Some(items) = v.as_array() else {
            self.fail(path, "top-level JSON is not an array");
            return Vec::new();
        };
        if items.len() != expected {
            self.fail(path, format!("{} rows, expected {expected}", items.len()));
        }
        items
            .iter()
            .filter_map(|i| self.world(path, i, check_value))
            .collect()
    }

    fn plain(&mut self) {
        let path = "/json";
        if let Some(v) = self.json(path)
            && v != serde_json::json!({ "message": "Hello, World!" })
        {
            self.fail(path, format!("body {v}"));
        }
        let path = "/plaintext";
        if let Some(res) = self.get(path, Kind::Text)
            && res.body != b"Hello, World!"
        {
            self.fail(
                path,
                format!("body {:?}", String::from_utf8_lossy(&res.body)),
            );
        }
    }

    /// TFB's `queries` cases: value sent and rows expected.
    const CASES: [(&'static str, usize); 6] = [
        ("2", 2),
        ("0", 1),
        ("foo", 1),
        ("501", MAX_QUERIES),
        ("", 1),
        ("20", 20),
    ];

    fn queries(&mut self, base: &str, check_value: bool) {
        for (q, n) in Self::CASES {
            self.list(&format!("{base}{q}"), n, check_value);
        }
    }

    fn fortunes(&mut self) {
        let path = "/fortunes";
        if let Some(res) = self.get(path, Kind::Html)
            && let Err(e) = fortunes_body(&res.body)
        {
            self.fail(path, e);
        }
    }

    fn updates(&mut self, after: &HashMap<i32, i32>, path: &str, returned: &[World]) {
        let mut seen: HashMap<i32, Vec<i32>> = HashMap::new();
        for w in returned {
            seen.entry(w.id).or_default().push(w.random_number);
        }
        for (id, numbers) in &seen {
            // A duplicated id may keep any of the numbers it was given.
            if !after.get(id).is_some_and(|n| numbers.contains(n)) {
                self.fail(
                    path,
                    format!(
                        "row {id} returned {numbers:?} but the database has {:?}",
                        after.get(id)
                    ),
                );
            }
        }
        let changed = self
            .table
            .iter()
            .filter(|(id, n)| after.get(id) != Some(n))
            .count();
        // TFB: fewer than 90% of the 500 expected updates is a failure.
        if changed * 10 <= MAX_QUERIES * 9 {
            self.fail(
                path,
                format!("only {changed} rows changed in the database (TFB wants over 450)"),
            );
        }
    }

    fn date_is_fresh(&mut self) {
        let first = self.get("/plaintext", Kind::Text);
        std::thread::sleep(Duration::from_millis(1100));
        let second = self.get("/plaintext", Kind::Text);
        if let (Some(a), Some(b)) = (first, second)
            && a.header("date") == b.header("date")
        {
            self.fail("/plaintext", "`date` did not change in 1.1 s (cached)");
        }
    }
}

fn block_on<T>(f: impl Future<Output = T>) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(rt.block_on(f))
}

/// Verifies every TFB endpoint of a `db` server. Leaves the database changed
/// (that is what `/updates` does).
///
/// # Errors
/// Every failure found, one per line.
pub fn db_server(target: Target<'_>) -> Result<(), String> {
    let table = block_on(world_table(target.db, target.url))??;
    if table.len() != usize::try_from(super::WORLD_ROWS).unwrap_or(0) {
        return Err(format!("world has {} rows, not 10000", table.len()));
    }
    let mut v = Verifier {
        target,
        failures: Vec::new(),
        table,
    };
    v.plain();
    v.date_is_fresh();
    if let Some(one) = v.json("/db") {
        v.world("/db", &one, true);
    }
    v.queries("/queries?queries=", true);
    v.queries("/cached-queries?count=", true);
    v.fortunes();
    // Updates last: they change the rows the checks above compare with.
    let path = "/updates?queries=501";
    let returned = v.list(path, MAX_QUERIES, false);
    let after = block_on(world_table(target.db, target.url))??;
    v.updates(&after, path, &returned);
    v.table = after;
    for (q, n) in Verifier::CASES {
        v.list(&format!("/updates?queries={q}"), n, false);
    }
    if v.failures.is_empty() {
        Ok(())
    } else {
        Err(v.failures.join("\n"))
    }
}

/// Verifies the `tx` endpoint: `200`, the usual headers, body `1`.
///
/// # Errors
/// What differed.
pub fn tx_server(port: u16) -> Result<(), String> {
    let res = client::get(port, "/tx", &[]).map_err(|e| format!("/tx: {e}"))?;
    let mut problems = headers(&res, Kind::Text);
    if res.status != 200 || res.body != b"1" {
        problems.push(format!(
            "status {} body {:?}",
            res.status,
            String::from_utf8_lossy(&res.body)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("/tx: {}", problems.join("; ")))
    }
}

/// The fortunes page as TFB normalises it: whitespace between tags
/// dropped, tags lowercased, equivalent character references folded into
/// one form, and `'`, `"`, `>` in text written as entities (they need no
/// escaping there). Markup in a message shows up as a tag and fails.
fn normalise(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let end = tag.find('>').map_or(tag.len(), |i| i + 1);
            out.push('<');
            out.push_str(&tag[..end].to_ascii_lowercase());
            rest = &tag[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..end];
        rest = &rest[end..];
        if text.trim().is_empty() {
            continue;
        }
        let mut t = text;
        while !t.is_empty() {
            if let Some(after) = t.strip_prefix('&')
                && let Some(semi) = after.find(';').filter(|&i| i < 10)
            {
                let name = after[..semi].to_ascii_lowercase();
                let canonical = match name.as_str() {
                    "#34" | "#034" | "#x22" | "quot" => "&quot;",
                    "#39" | "#039" | "#x27" | "apos" => "&apos;",
                    "#43" | "#043" | "#x2b" => "+",
                    "#62" | "#062" | "#x3e" | "gt" => "&gt;",
                    "#60" | "#060" | "#x3c" | "lt" => "&lt;",
                    "#47" | "#047" | "#x2f" => "/",
                    "#40" | "#040" | "#x28" => "(",
                    "#41" | "#041" | "#x29" => ")",
                    "mdash" => "\u{2014}",
                    "amp" => "&amp;",
                    _ => "",
                };
                if canonical.is_empty() {
                    out.push('&');
                    out.push_str(&name);
                    out.push(';');
                } else {
                    out.push_str(canonical);
                }
                t = &after[semi + 1..];
                continue;
            }
            let c = t.chars().next().unwrap_or(' ');
            match c {
                '\'' => out.push_str("&apos;"),
                '"' => out.push_str("&quot;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
            t = &t[c.len_utf8()..];
        }
    }
    out
}

/// The page TFB expects, normalised.
fn expected_fortunes() -> String {
    let mut rows: Vec<(i32, &str)> = FORTUNES.to_vec();
    rows.push((0, EXTRA_FORTUNE));
    rows.sort_by(|a, b| a.1.cmp(b.1));
    let mut page = String::from(
        "<!doctype html><html><head><title>Fortunes</title></head><body><table>\
         <tr><th>id</th><th>message</th></tr>",
    );
    for (id, m) in rows {
        let _ = write!(page, "<tr><td>{id}</td><td>");
        let mut escaped = String::new();
        super::html::escape_into(&mut escaped, m);
        page.push_str(&escaped);
        page.push_str("</td></tr>");
    }
    page.push_str("</table></body></html>");
    normalise(&page)
}

/// Checks a fortunes body against TFB's page.
///
/// # Errors
/// Where the body first differs.
pub fn fortunes_body(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_owned())?;
    let got = normalise(text);
    let want = expected_fortunes();
    if got == want {
        return Ok(());
    }
    let at = got
        .char_indices()
        .zip(want.chars())
        .find(|((_, a), b)| a != b)
        .map_or(got.len().min(want.len()), |((i, _), _)| i);
    let from = got.floor_char_boundary(at.saturating_sub(40));
    let wfrom = want.floor_char_boundary(at.saturating_sub(40));
    Err(format!(
        "fortunes differ from TFB's page at byte {at}: got …{}… want …{}…",
        &got[from..got.ceil_char_boundary((at + 60).min(got.len()))],
        &want[wfrom..want.ceil_char_boundary((at + 60).min(want.len()))]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_escapes_pass_and_raw_markup_fails() {
        let good = super::super::fortunes_page(&{
            let mut f: Vec<super::super::Fortune> = FORTUNES
                .iter()
                .map(|(id, m)| super::super::Fortune {
                    id: *id,
                    message: (*m).to_owned(),
                })
                .collect();
            super::super::finish_fortunes(&mut f);
            f
        });
        assert!(fortunes_body(good.as_bytes()).is_ok());
        // Other escapers' forms and pretty-printing are accepted.
        let alt = good
            .replace("&quot;", "&#34;")
            .replace("&#39;", "&apos;")
            .replace("<tr>", "\n  <tr>");
        assert!(
            fortunes_body(alt.as_bytes()).is_ok(),
            "{:?}",
            fortunes_body(alt.as_bytes())
        );
        // Unescaped markup, a wrong order, a missing extra fortune fail.
        let raw = good.replace("&lt;script&gt;", "<script>");
        assert!(fortunes_body(raw.as_bytes()).is_err());
        let missing = good.replace(EXTRA_FORTUNE, "");
        assert!(fortunes_body(missing.as_bytes()).is_err());
    }

    #[test]
    fn content_types() {
        assert!(content_type_ok(Kind::Json, "application/json"));
        assert!(content_type_ok(Kind::Text, "text/plain; charset=utf-8"));
        assert!(content_type_ok(Kind::Html, "text/html; charset=UTF-8"));
        assert!(!content_type_ok(Kind::Html, "text/html"));
        assert!(!content_type_ok(Kind::Json, "text/json"));
    }
}
