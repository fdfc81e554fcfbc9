//! `kiln::db`: transactions finished by the pipeline, on SQLite and on
//! Postgres; concurrent writers; a database that goes away and comes back;
//! migrations; errors. The Postgres tests need `KILN_TEST_POSTGRES_URL`
//! (`.ci/postgres.sh start` prints it); without it they print SKIP, and in
//! CI they fail.

mod semantics;
mod support;

mod sqlite_tx {
    crate::semantics::suite!(sqlite, sqlite_db);
    use crate::support::sqlite_db;
}

mod postgres_tx {
    crate::semantics::suite!(postgres, postgres_db);
    use crate::support::postgres_db;
}

mod cancel;
mod concurrency;
mod config;
mod down;
mod migrations;
