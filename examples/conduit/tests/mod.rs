//! The in-process tests (no socket): the RealWorld flows and error
//! statuses (`flows`), the notification job and its worker (`notifications`,
//! on SQLite and, when `KILN_TEST_POSTGRES_URL` names a server, on Postgres:
//! skipped loudly without one, a failure in CI or with
//! `KILN_REQUIRE_SERVICES=1`), and the response cache (`cache`).

mod cache;
#[path = "../../test_support.rs"]
mod common;
mod flows;
mod notifications;
mod support;
