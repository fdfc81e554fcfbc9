//! The databases of the `db` scenario: TFB's `World` (10,000 rows, random
//! numbers in 1..=10000) and `Fortune` (its 12 rows) tables, in a Postgres
//! cluster (the repository's `.ci/postgres.sh` on its own port, or one
//! given by URL) and in a SQLite file. Nothing is tuned for one server:
//! every server connects to the same database with the same pool size.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Executor as _, PgConnection};

use super::super::machine;
use super::FORTUNES;

/// The port of the cluster the harness starts (the tests' cluster is on 55432).
pub const BENCH_PG_PORT: u16 = 55_442;
/// Environment variable: a Postgres server URL to use instead of starting one
/// (the harness creates and fills database [`BENCH_DB`] in it).
pub const PG_URL_ENV: &str = "KILN_BENCH_POSTGRES_URL";
/// The database the harness (re)creates in the Postgres server.
pub const BENCH_DB: &str = "kiln_tfb";

const SCHEMA: [&str; 4] = [
    "DROP TABLE IF EXISTS world",
    "DROP TABLE IF EXISTS fortune",
    "CREATE TABLE world (id integer NOT NULL, randomnumber integer NOT NULL DEFAULT 0, PRIMARY KEY (id))",
    "CREATE TABLE fortune (id integer NOT NULL, message varchar(2048) NOT NULL, PRIMARY KEY (id))",
];

fn sql_err(what: &str) -> impl Fn(sqlx::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Inserts TFB's fortunes, one statement each.
macro_rules! insert_fortunes {
    ($conn:expr) => {
        for (id, message) in FORTUNES {
            sqlx::query("INSERT INTO fortune (id, message) VALUES ($1, $2)")
                .bind(id)
                .bind(message)
                .execute(&mut *$conn)
                .await
                .map_err(sql_err("insert fortunes"))?;
        }
    };
}

/// Creates (or recreates) the SQLite file at `path` with both tables and
/// returns its `sqlite://` URL.
///
/// # Errors
/// A message naming what failed.
pub async fn sqlite(path: &Path) -> Result<String, String> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)
        .map_err(|e| format!("{url}: {e}"))?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(sql_err("open SQLite"))?;
    for s in SCHEMA {
        conn.execute(s).await.map_err(sql_err(s))?;
    }
    conn.execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000) \
         INSERT INTO world (id, randomnumber) SELECT x, abs(random()) % 10000 + 1 FROM n",
    )
    .await
    .map_err(sql_err("fill world"))?;
    insert_fortunes!(&mut conn);
    conn.close().await.map_err(sql_err("close SQLite"))?;
    Ok(url)
}

/// A Postgres server with the bench database in it.
#[derive(Debug)]
pub struct Postgres {
    /// The URL of [`BENCH_DB`].
    pub url: String,
    /// The postmaster's pid (its CPU and its children's is the database's), if found.
    pub postmaster: Option<u32>,
    /// Whether the harness started the cluster (and so stops it).
    started: bool,
}

fn script_env(cmd: &mut Command) -> &mut Command {
    cmd.env("KILN_PG_PORT", BENCH_PG_PORT.to_string()).env(
        "KILN_PG_DIR",
        std::env::temp_dir().join(format!("kiln-pg-bench-{BENCH_PG_PORT}")),
    )
}

/// Replaces the database name of a `postgres://` URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// The pid of the postmaster listening on `port` (its command line has `-p <port>`).
fn postmaster_on(port: &str) -> Option<u32> {
    let mut found = None;
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let is_postgres = args
            .first()
            .is_some_and(|a| a.ends_with(b"postgres") || a.ends_with(b"postmaster"));
        let on_port = args
            .windows(2)
            .any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        if is_postgres && on_port {
            // The postmaster is the oldest (smallest pid) of them.
            found = Some(found.map_or(pid, |f: u32| f.min(pid)));
        }
    }
    found
}

/// Drops database `name` (disconnecting its sessions) and creates it
/// again, empty, on the server of `url`; returns its URL.
///
/// # Errors
/// A message naming what failed.
pub async fn recreate(url: &str, name: &str) -> Result<String, String> {
    let mut admin = PgConnection::connect(url)
        .await
        .map_err(sql_err("connect to Postgres"))?;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .map_err(sql_err("drop a database"))?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .map_err(sql_err("create a database"))?;
    let _ = admin.close().await;
    Ok(with_database(url, name))
}

/// Does now the work the server's earlier writes left to autovacuum: a
/// `VACUUM (ANALYZE)` of every database on the cluster of `url`. The harness
/// calls it before each timed run on Postgres, so a run is not charged with
/// an autovacuum that an earlier run (a warm-up, the allocation count,
/// another endpoint, another server) made due. Without it the Postgres CPU of
/// one run swung by 2x with when autovacuum woke up (its naptime is 60 s).
///
/// # Errors
/// A message naming what failed.
pub async fn settle(url: &str) -> Result<(), String> {
    let mut admin = PgConnection::connect(url)
        .await
        .map_err(sql_err("connect to Postgres"))?;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE NOT datistemplate")
            .fetch_all(&mut admin)
            .await
            .map_err(sql_err("list the databases"))?;
    let _ = admin.close().await;
    for name in names {
        let mut conn = PgConnection::connect(&with_database(url, &name))
            .await
            .map_err(sql_err("connect to a database"))?;
        conn.execute("VACUUM (ANALYZE)")
            .await
            .map_err(sql_err("vacuum"))?;
        let _ = conn.close().await;
    }
    Ok(())
}

impl Postgres {
    /// Uses [`PG_URL_ENV`] if set, else starts a cluster with `.ci/postgres.sh`
    /// on [`BENCH_PG_PORT`] (installing PostgreSQL from the Debian packages if
    /// missing and root); then (re)creates [`BENCH_DB`] with both tables.
    ///
    /// # Errors
    /// A message naming what failed.
    pub async fn start() -> Result<Postgres, String> {
        let (server_url, started) = if let Ok(url) = std::env::var(PG_URL_ENV) {
            (url, false)
        } else {
            let script = machine::workspace_root().join(".ci/postgres.sh");
            let out = script_env(Command::new("bash").arg(&script).arg("start"))
                .output()
                .map_err(|e| format!("{}: {e}", script.display()))?;
            if !out.status.success() {
                return Err(format!(
                    "{} start failed: {}",
                    script.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            let stdout = String::from_utf8_lossy(&out.stdout);
            let url = stdout
                .lines()
                .find_map(|l| {
                    l.split_once("KILN_TEST_POSTGRES_URL=")
                        .map(|(_, u)| u.trim())
                })
                .ok_or_else(|| format!("postgres.sh printed no URL: {stdout}"))?
                .to_owned();
            (url, true)
        };
        let mut admin = PgConnection::connect(&server_url)
            .await
            .map_err(sql_err("connect to Postgres"))?;
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"
            )))
            .await
            .map_err(sql_err("drop the bench database"))?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {BENCH_DB}")))
            .await
            .map_err(sql_err("create the bench database"))?;
        let _ = admin.close().await;
        let url = with_database(&server_url, BENCH_DB);
        let mut conn = PgConnection::connect(&url)
            .await
            .map_err(sql_err("connect to the bench database"))?;
        for s in SCHEMA {
            conn.execute(s).await.map_err(sql_err(s))?;
        }
        conn.execute(
            "INSERT INTO world (id, randomnumber) \
             SELECT x, floor(random() * 10000 + 1)::int FROM generate_series(1, 10000) AS x",
        )
        .await
        .map_err(sql_err("fill world"))?;
        insert_fortunes!(&mut conn);
        conn.execute("VACUUM ANALYZE")
            .await
            .map_err(sql_err("vacuum"))?;
        let _ = conn.close().await;
        let port = server_url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .unwrap_or("5432")
            .to_owned();
        Ok(Postgres {
            url,
            postmaster: postmaster_on(&port),
            started,
        })
    }

    /// Stops the cluster if [`start`](Self::start) started it.
    pub fn stop(&self) {
        if self.started {
            let script = machine::workspace_root().join(".ci/postgres.sh");
            let _ = script_env(Command::new("bash").arg(script).arg("stop")).output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database() {
        assert_eq!(
            with_database("postgres://kiln@127.0.0.1:1/postgres", "x"),
            "postgres://kiln@127.0.0.1:1/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
    }
}
