//! The kiln server of the `tasks` scenario, on Postgres or SQLite (`--db`):
//! one `chain!` app per backend with `Tasks`, the backend's `Tx`, and one
//! outbox `Worker` in the process (default configuration: 8 jobs at once,
//! 500 ms poll, woken by commits).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use kiln::db::Db;
use kiln::prelude::*;
use kiln::tasks::{Handlers, Job, OutboxBackend, Tasks, Worker, WorkerHandle, install_outbox};
use serde::{Deserialize, Serialize};

use super::super::fixtures::HELLO;
use super::super::server::{ServeError, ServerArgs, bind, tokio_runtime};
use super::super::tfb::{self, DbKind};
use super::{Delays, wall_us};

/// The payload of an outbox job: when it was enqueued.
#[derive(Serialize, Deserialize)]
struct At {
    us: u64,
}

#[handler]
fn hello() -> &'static str {
    HELLO
}

/// Spawns a job that records its start delay.
#[handler]
fn spawn(tasks: &Tasks, delays: &Delays) -> Result<StatusCode, kiln::Error> {
    let at = Instant::now();
    let seen = delays.clone();
    tasks.spawn("bench", move || {
        let seen = seen.clone();
        async move {
            seen.started(at.elapsed());
            Ok::<(), Infallible>(())
        }
    })?;
    delays.accept();
    Ok(StatusCode::ACCEPTED)
}

#[handler]
fn report(delays: &Delays, req: &Request) -> Response {
    let reset = req.uri().query() == Some("reset");
    Json(delays.report(reset)).into_response()
}

/// The job handlers: `bench` records how long after its enqueue it started.
fn handlers(delays: &Delays) -> Handlers {
    let delays = delays.clone();
    Handlers::new().on("bench", move |at: At| {
        let delays = delays.clone();
        async move {
            delays.started(Duration::from_micros(wall_us().saturating_sub(at.us)));
            Ok::<(), Infallible>(())
        }
    })
}

macro_rules! tasks_app {
    ($module:ident, $db:ident, $app:ident) => {
        mod $module {
            use super::*;

            /// Enqueues a job in the request's transaction.
            #[handler]
            pub(super) async fn enqueue(
                tasks: &Tasks,
                tx: &mut kiln::db::$db::Tx,
                delays: &Delays,
            ) -> Result<StatusCode, kiln::Error> {
                let job = Job::new("bench", &At { us: wall_us() })
                    .map_err(|_| kiln::Error::internal())?;
                tasks.enqueue(tx, job).await?;
                // Counted once committed: a request cancelled before (its client
                // gone at the end of a run) rolls back and enqueues nothing.
                let accepted = delays.clone();
                tx.on_commit(move || accepted.accept());
                Ok(StatusCode::CREATED)
            }

            chain! {
                /// `tasks` on one backend.
                pub(super) struct $app;
                singletons { tasks: Tasks, db: kiln::db::$db::Db, delays: Delays }
                request { kiln::db::$db::tx }
                routes {
                    GET "/hello" => hello,
                    GET "/spawn" => spawn,
                    GET "/enqueue" => enqueue,
                    GET "/delays" => report,
                }
            }
        }
    };
}

tasks_app!(pg, postgres, PgTasks);
tasks_app!(lite, sqlite, LiteTasks);

/// Creates the outbox if needed, empties it (rounds reuse the database) and
/// starts the server's one worker.
async fn fresh_outbox<B: OutboxBackend>(
    db: &Db<B>,
    tasks: &Tasks,
    delays: &Delays,
) -> std::io::Result<WorkerHandle>
where
    for<'c> &'c kiln::db::sqlx::Pool<B>: kiln::db::sqlx::Executor<'c, Database = B>,
    <B as kiln::db::sqlx::Database>::Arguments: kiln::db::sqlx::IntoArguments<B>,
{
    install_outbox(db).await.map_err(io)?;
    kiln::db::sqlx::query("DELETE FROM kiln_tasks")
        .execute(db.write_pool())
        .await
        .map_err(io)?;
    Ok(Worker::new(tasks, db.clone(), handlers(delays)).start())
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Serves `tasks` on `args.db` until killed.
///
/// # Errors
/// When the database cannot be opened or the port bound.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    let url = tfb::db_url()?;
    let port = args.port;
    let rt = tokio_runtime(args.workers)?;
    rt.block_on(async move {
        let listener = bind(port).await?;
        let tasks = Tasks::default();
        let delays = Delays::default();
        let (served, _worker) = match args.db {
            DbKind::Postgres => {
                let db = kiln::db::postgres::Db::builder(&url)
                    .max_connections(tfb::pool_size())
                    .connect()
                    .await
                    .map_err(io)?;
                let worker = fresh_outbox(&db, &tasks, &delays).await?;
                let app = pg::PgTasks::new(pg::PgTasksSingletons { tasks, db, delays });
                (tokio::spawn(kiln::serve(app).listen(listener)), worker)
            }
            DbKind::Sqlite => {
                let db = kiln::db::sqlite::Db::builder(&url)
                    .max_connections(tfb::SQLITE_READERS)
                    .connect()
                    .await
                    .map_err(io)?;
                let worker = fresh_outbox(&db, &tasks, &delays).await?;
                let app = lite::LiteTasks::new(lite::LiteTasksSingletons { tasks, db, delays });
                (tokio::spawn(kiln::serve(app).listen(listener)), worker)
            }
        };
        // Spawned so that all the work runs on the worker threads.
        served.await.map_err(io)?
    })?;
    Ok(())
}
