//! Background tasks (feature `tasks`): [`Tasks`], an in-process queue that
//! runs jobs after the handler returned, bounded, with a timeout per
//! attempt, retries with exponential backoff and jitter, a dead-letter log
//! and counters.
//!
//! PLACEHOLDER

mod config;
mod counters;
mod error;
mod local;

pub use config::TaskConfig;
pub use counters::{DeadTask, TaskCounters};
pub use error::{BoxError, SpawnError};
pub use local::{Drained, Tasks};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod outbox;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use outbox::{
    Enqueued, Handlers, Job, OutboxBackend, Worker, WorkerHandle, install_outbox, outbox_schema,
};
