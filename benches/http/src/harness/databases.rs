//! The databases of the database-backed scenarios, and which of them run
//! an example app as kiln's server.

use std::fs;
use std::path::{Path, PathBuf};

use super::super::scenario::{Case, Scenario};
use super::super::tfb::{DbKind, setup};
use super::Options;

/// The databases of the `db` and `tx` scenarios, made before the first run.
#[derive(Debug, Default)]
pub(super) struct Databases {
    pub(super) postgres: Option<setup::Postgres>,
    pub(super) sqlite: Option<String>,
}

impl Databases {
    pub(super) fn make(opts: &Options, scratch: &Path) -> Result<Databases, String> {
        let mut dbs = Databases::default();
        if !opts.scenarios.iter().any(|s| {
            matches!(
                s,
                Scenario::Db
                    | Scenario::Tx
                    | Scenario::Tasks
                    | Scenario::Realworld
                    | Scenario::Shop
            )
        }) {
            return Ok(dbs);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        eprintln!("bench: setting up Postgres (World, Fortune) for db/tx");
        dbs.postgres = Some(rt.block_on(setup::Postgres::start())?);
        eprintln!("bench: setting up SQLite (World, Fortune) for db/tx");
        dbs.sqlite = Some(rt.block_on(setup::sqlite(&scratch.join("tfb.sqlite")))?);
        Ok(dbs)
    }

    pub(super) fn url(&self, db: DbKind) -> Option<&str> {
        match db {
            DbKind::Postgres => self.postgres.as_ref().map(|p| p.url.as_str()),
            DbKind::Sqlite => self.sqlite.as_deref(),
        }
    }

    /// A fresh, empty database for one server of an app scenario
    /// (`realworld`, `shop`: the server creates the schema): a new SQLite
    /// file, or Postgres' `kiln_<scenario>` dropped and created again.
    pub(super) fn fresh(
        &self,
        db: DbKind,
        scratch: &Path,
        scenario: Scenario,
    ) -> Result<String, String> {
        match db {
            DbKind::Sqlite => {
                let path = scratch.join(format!("{scenario}.sqlite"));
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = fs::remove_file(PathBuf::from(p));
                }
                Ok(format!("sqlite://{}", path.display()))
            }
            DbKind::Postgres => {
                let pg = self.postgres.as_ref().ok_or("no Postgres")?;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                rt.block_on(setup::recreate(&pg.url, &format!("kiln_{scenario}")))
            }
        }
    }

    /// Postgres' pending vacuum work, done before a timed run (see [`setup::settle`]).
    pub(super) fn settle(&self) -> Result<(), String> {
        let pg = self.postgres.as_ref().ok_or("no Postgres")?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(setup::settle(&pg.url))
    }

    /// The database server process whose CPU counts with the server's.
    pub(super) fn process(&self, db: DbKind) -> Option<u32> {
        match db {
            DbKind::Postgres => self.postgres.as_ref().and_then(|p| p.postmaster),
            DbKind::Sqlite => None,
        }
    }
}

/// The scenarios whose kiln side is an example app, and the example.
pub(super) const EXAMPLES: [(Scenario, &str); 2] =
    [(Scenario::Realworld, "conduit"), (Scenario::Shop, "shop")];

/// The example binary that is kiln's server for `case`, if one is: it has
/// no allocation counter, and takes its settings from its own variables.
pub(super) fn example(framework: &str, case: &Case) -> Option<&'static str> {
    EXAMPLES
        .iter()
        .find(|(s, _)| framework == "kiln" && *s == case.scenario)
        .map(|(_, e)| *e)
}

/// Whether each server start gets a fresh database.
pub(super) fn fresh_db(case: &Case) -> bool {
    EXAMPLES.iter().any(|(s, _)| *s == case.scenario)
}

/// The database of a `db`/`tx` case (from its `--db` argument).
pub(super) fn case_db(case: &Case) -> Option<DbKind> {
    case.server_args
        .windows(2)
        .find(|w| w[0] == "--db")
        .and_then(|w| w[1].parse().ok())
}
