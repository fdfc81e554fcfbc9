//! Durable jobs (feature `tasks` with `sqlite` or `postgres`): an outbox
//! table written in the request's transaction, and workers that claim and
//! run its jobs.

mod job;
mod store;
mod worker;

pub use job::{Enqueued, Handlers, Job, install_outbox, outbox_schema};
pub use store::OutboxBackend;
pub use worker::{Worker, WorkerHandle};
