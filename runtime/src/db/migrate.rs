//! Migrations at startup: sqlx's [`Migrator`] (embedded at build time by
//! `sqlx::migrate!`) runs them; when one fails, kiln finds the statement that
//! failed so the startup error names both.
//!
//! sqlx runs a migration's SQL as one script and reports only which migration
//! failed. To name the statement, kiln splits the script into statements
//! (aware of quotes, comments, Postgres dollar quotes and SQLite trigger
//! bodies) and re-runs them one by one in a transaction it rolls back; the
//! first that fails is the one named. A migration marked `-- no-transaction`
//! is not re-run (its statements may not be undoable), so its error names the
//! migration only.

use std::fmt::Write as _;

use sqlx::migrate::{MigrateError, Migration, Migrator};

use super::backend::Backend;
use super::error::{DbError, DbErrorKind};
use super::handle::Db;

impl<B: Backend> Db<B> {
    /// Runs the migrations not yet applied, on the writer, each in its own
    /// transaction; [`Builder::migrations`](super::Builder::migrations) calls
    /// it at startup.
    ///
    /// # Errors
    /// [`DbErrorKind::Migration`], whose message names the migration (version
    /// and description) and the statement that failed, with the database's
    /// message; or a previously applied migration that was changed or is
    /// missing.
    pub async fn migrate(&self, migrator: &Migrator) -> Result<(), DbError> {
        let Err(err) = B::migrate(self.write_pool(), migrator).await else {
            return Ok(());
        };
        let named = |version: i64| {
            migrator
                .iter()
                .find(|m| m.version == version)
                .map_or_else(|| format!("migration {version}"), describe)
        };
        let message = match &err {
            MigrateError::ExecuteMigration(cause, version) => {
                let mut msg = format!("{} failed", named(*version));
                match migrator.iter().find(|m| m.version == *version) {
                    Some(m) if !m.no_tx => {
                        let statements = statements(m.sql.as_str());
                        match B::locate(self.write_pool(), &statements).await {
                            Some((i, cause)) => {
                                let _ = write!(
                                    msg,
                                    " at statement {} of {}:\n    {}\n{cause}",
                                    i + 1,
                                    statements.len(),
                                    statements[i].replace('\n', "\n    ")
                                );
                            }
                            None => {
                                let _ = write!(
                                    msg,
                                    " (the failing statement could not be located): {cause}"
                                );
                            }
                        }
                    }
                    _ => {
                        let _ = write!(msg, ": {cause}");
                    }
                }
                msg
            }
            MigrateError::VersionMismatch(v) => {
                format!(
                    "{} was applied but has been changed since; restore it, and add a new migration for the change",
                    named(*v)
                )
            }
            MigrateError::VersionMissing(v) => {
                format!("migration {v} was applied but is not among the embedded migrations")
            }
            other => format!("migrations failed: {other}"),
        };
        tracing::error!(target: "kiln::db", "{message}");
        Err(DbError::new(DbErrorKind::Migration, message))
    }
}

/// `migration 2 (add_index)`.
fn describe(m: &Migration) -> String {
    format!("migration {} ({})", m.version, m.description)
}

/// Splits a migration script into its statements, trimmed, without empty
/// ones. A `;` ends a statement unless it is inside a string, a quoted
/// identifier, a comment, a dollar-quoted body, or a trigger body before its
/// closing `END`.
pub(crate) fn statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    // Per statement: its first words (to spot `CREATE [TEMP] TRIGGER`), and
    // inside a trigger, the BEGIN/CASE ... END depth.
    let mut words = 0usize;
    let mut trigger = false;
    let mut body_seen = false;
    let mut depth = 0i32;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => i = skip_quoted(b, i, c),
            b'[' => {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b']')
                    .map_or(b.len(), |p| i + p + 1);
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |p| i + p + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |p| p + 2);
            }
            b'$' if !prev_is_ident(b, i) => i = skip_dollar(b, i),
            b';' => {
                i += 1;
                if !trigger || (body_seen && depth <= 0) {
                    push(&mut out, &sql[start..i - 1]);
                    start = i;
                    (words, trigger, body_seen, depth) = (0, false, false, 0);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = b[i..]
                    .iter()
                    .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_'))
                    .map_or(b.len(), |p| i + p);
                let word = &sql[i..end];
                let is = |k: &str| word.eq_ignore_ascii_case(k);
                match words {
                    0 if !is("CREATE") => words = usize::MAX,
                    1 | 2 if is("TRIGGER") => trigger = true,
                    1 if !(is("TEMP") || is("TEMPORARY")) => words = usize::MAX,
                    _ => {}
                }
                if trigger && (is("BEGIN") || is("CASE")) {
                    body_seen |= is("BEGIN");
                    depth += 1;
                } else if trigger && is("END") {
                    depth -= 1;
                }
                words = words.saturating_add(1);
                i = end;
            }
            _ => i += 1,
        }
    }
    push(&mut out, &sql[start..]);
    out
}

fn push<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim();
    if !s.is_empty() && !only_comments(s) {
        out.push(s);
    }
}

fn only_comments(s: &str) -> bool {
    let mut rest = s.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            return false;
        }
    }
}

/// Past a quoted run starting at `i` (a doubled quote is an escaped one).
fn skip_quoted(b: &[u8], mut i: usize, q: u8) -> usize {
    i += 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// Past a Postgres dollar-quoted body (`$$ ... $$`, `$tag$ ... $tag$`) at
/// `i`, or one byte on when `$` starts no quote (`$1`).
fn skip_dollar(b: &[u8], i: usize) -> usize {
    let tag_len = b[i + 1..]
        .iter()
        .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_'))
        .map_or(b.len() - i - 1, |p| p);
    let tag_end = i + 1 + tag_len;
    let starts_digit = b.get(i + 1).is_some_and(u8::is_ascii_digit);
    if b.get(tag_end) != Some(&b'$') || starts_digit {
        return i + 1;
    }
    let tag = &b[i..=tag_end];
    find(b, tag_end + 1, tag).map_or(b.len(), |p| p + tag.len())
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn splits_plain_statements() {
        assert_eq!(
            statements("CREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1) ;  -- done\n"),
            ["CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"]
        );
    }

    #[test]
    fn ignores_semicolons_in_strings_comments_and_identifiers() {
        let sql = "INSERT INTO a VALUES ('x;y', 'it''s;'); -- a; b\n/* c; */ SELECT \"a;b\", [c;d], `e;f` FROM a";
        assert_eq!(
            statements(sql),
            [
                "INSERT INTO a VALUES ('x;y', 'it''s;')",
                "-- a; b\n/* c; */ SELECT \"a;b\", [c;d], `e;f` FROM a"
            ]
        );
    }

    #[test]
    fn keeps_trigger_bodies_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;\n  DELETE FROM c;\nEND;\nSELECT 1;";
        let s = statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("END"));
        assert_eq!(s[1], "SELECT 1");
        let temp =
            statements("create temp trigger t after insert on a begin select 1; end; select 2");
        assert_eq!(temp.len(), 2, "{temp:?}");
    }

    #[test]
    fn keeps_dollar_quoted_bodies_whole() {
        let sql = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT $1;\nDO $$ BEGIN PERFORM 1; END $$;";
        let s = statements(sql);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[1], "SELECT $1");
    }

    #[test]
    fn drops_comment_only_pieces() {
        assert_eq!(
            statements("-- nothing\n;\n/* nor */;SELECT 1"),
            ["SELECT 1"]
        );
    }
}
