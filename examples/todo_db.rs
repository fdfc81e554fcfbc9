//! A todo API on SQLite: migrations embedded at build time and run at
//! startup, a request-scoped transaction (`Tx`) that commits when the
//! response is a success and rolls back otherwise, read connections
//! (`DbRead`), and compile-time-checked queries (`sqlx::query_as!`) that
//! build without a database from the offline data in `examples/.sqlx/`.
//!
//! Run: `cargo run -p kiln-examples --example todo_db` (the data lives in
//! `./todo_db.sqlite`, or in the file `TODO_DB` names, and survives a
//! restart), then
//!
//! ```sh
//! curl -i -X POST localhost:8083/todos -H 'content-type: application/json' -d '{"title":"write docs"}'
//! curl -i localhost:8083/todos
//! curl -i localhost:8083/todos/1
//! curl -i -X POST localhost:8083/todos -H 'content-type: application/json' -d '{"title":""}'   # 422
//! ```
//!
//! After changing a query or a migration, refresh the offline data:
//! `examples/sqlx-prepare.sh` (see CONTRIBUTING.md).

use kiln::Error;
use kiln::db::DbError;
use kiln::db::sqlite::{Db, DbRead, Tx};
use kiln::db::sqlx::migrate::Migrator;
use kiln::http::header;
use kiln::prelude::*;
use serde::{Deserialize, Serialize};

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

/// `examples/migrations/todo_db/`, embedded in the binary.
static MIGRATOR: Migrator = sqlx::migrate!("migrations/todo_db");

/// A stored todo.
#[derive(Serialize)]
struct Todo {
    id: i64,
    title: String,
    done: bool,
}

/// What clients send to create a todo.
#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

/// 1 to 200 characters (checked again by the table's `CHECK`); else a 422
/// in kiln's problem+json shape, pointing at the field.
fn valid_title(title: &str) -> Result<&str, Error> {
    let n = title.chars().count();
    if (1..=200).contains(&n) {
        Ok(title)
    } else {
        Err(
            Error::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_title")
                .message(format!("`title` must be 1 to 200 characters, got {n}"))
                .field("/title"),
        )
    }
}

/// The transaction is begun after `Json` parsed the body (a malformed body
/// never opens one) and committed by kiln after the `201` is produced.
#[handler]
async fn create(tx: &mut Tx, Json(input): Json<NewTodo>) -> Result<impl IntoResponse, Error> {
    let title = valid_title(&input.title)?;
    let todo = sqlx::query_as!(
        Todo,
        r#"INSERT INTO todos (title) VALUES ($1) RETURNING id AS "id!", title, done AS "done: bool""#,
        title
    )
    .fetch_one(&mut **tx)
    .await?;
    let location = format!("/todos/{}", todo.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(todo),
    ))
}

#[handler]
async fn list(read: &mut DbRead) -> Result<Json<Vec<Todo>>, DbError> {
    let todos = sqlx::query_as!(
        Todo,
        r#"SELECT id AS "id!", title, done AS "done: bool" FROM todos ORDER BY id"#
    )
    .fetch_all(&mut **read)
    .await?;
    Ok(Json(todos))
}

#[handler]
async fn show(read: &mut DbRead, Path(id): Path<i64>) -> Result<Json<Todo>, Error> {
    let todo = sqlx::query_as!(
        Todo,
        r#"SELECT id AS "id!", title, done AS "done: bool" FROM todos WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut **read)
    .await?;
    todo.map(Json)
        .ok_or_else(|| Error::not_found().message(format!("no todo with id {id}")))
}

chain! {
    struct TodoApi;
    singletons { db: Db }
    request { kiln::db::sqlite::tx, kiln::db::sqlite::read }
    routes {
        POST "/todos" => create,
        GET "/todos" => list,
        GET "/todos/{id}" => show,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let path = std::env::var("TODO_DB").unwrap_or_else(|_| "todo_db.sqlite".to_owned());
    // A failed migration stops here, with the migration and statement named.
    let db = Db::builder(&format!("sqlite://{path}"))
        .migrations(&MIGRATOR)
        .connect()
        .await?;
    let app = TodoApi::new(TodoApiSingletons { db });
    tracing::info!("todos in {path}; listening on http://127.0.0.1:8083");
    kiln::serve(app).bind("127.0.0.1:8083").await?;
    Ok(())
}
