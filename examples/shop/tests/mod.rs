//! The shop's tests: the catalog, cart and order flows in process
//! (`flows`), and 64 concurrent buyers of the last units over HTTP
//! (`contention`). Each runs on SQLite, and on Postgres when
//! `KILN_TEST_POSTGRES_URL` names a server (skipped loudly otherwise; a
//! failure in CI or with `KILN_REQUIRE_SERVICES=1`).

#[path = "../../test_support.rs"]
mod common;
mod contention;
mod flows;
mod support;
