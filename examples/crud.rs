//! A small JSON CRUD API: todos in an in-memory store (`RwLock<HashMap>`)
//! behind a singleton service, with `Path`, `Json` and typed errors.
//!
//! Run: `cargo run -p kiln-examples --example crud`, then
//!
//! ```sh
//! curl -i -X POST localhost:8081/todos -H 'content-type: application/json' -d '{"title":"write docs"}'
//! curl -i localhost:8081/todos
//! curl -i -X PUT localhost:8081/todos/1 -H 'content-type: application/json' -d '{"title":"write docs","done":true}'
//! curl -i -X DELETE localhost:8081/todos/1
//! ```

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use kiln::http::header;
use kiln::prelude::*;
use serde::{Deserialize, Serialize};

#[global_allocator]
static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;

/// A stored todo.
#[derive(Clone, Serialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

/// What clients send to create or replace a todo.
#[derive(Deserialize)]
struct TodoInput {
    title: String,
    #[serde(default)]
    done: bool,
}

/// The store, one instance for the whole app (a singleton).
#[derive(Default)]
struct Todos {
    next_id: AtomicU64,
    items: RwLock<BTreeMap<u64, Todo>>,
}

impl Todos {
    fn list(&self) -> Vec<Todo> {
        self.read().values().cloned().collect()
    }

    fn get(&self, id: u64) -> Option<Todo> {
        self.read().get(&id).cloned()
    }

    fn create(&self, input: TodoInput) -> Todo {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let todo = Todo {
            id,
            title: input.title,
            done: input.done,
        };
        self.write().insert(id, todo.clone());
        todo
    }

    fn replace(&self, id: u64, input: TodoInput) -> Option<Todo> {
        let mut items = self.write();
        let todo = items.get_mut(&id)?;
        todo.title = input.title;
        todo.done = input.done;
        Some(todo.clone())
    }

    fn delete(&self, id: u64) -> bool {
        self.write().remove(&id).is_some()
    }

    // A panic while holding the lock cannot leave a half-written todo behind
    // (each write is one `insert`/assignment), so a poisoned lock is still usable.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u64, Todo>> {
        self.items
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<u64, Todo>> {
        self.items
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The JSON error body: `{"error": "..."}`.
#[derive(Serialize)]
struct ApiError {
    error: String,
}

/// A `404` with a JSON body, for ids that are not in the store.
type NotFound = (StatusCode, Json<ApiError>);

fn not_found(id: u64) -> NotFound {
    (
        StatusCode::NOT_FOUND,
        Json(ApiError {
            error: format!("no todo with id {id}"),
        }),
    )
}

#[handler]
fn list(todos: &Todos) -> Json<Vec<Todo>> {
    Json(todos.list())
}

#[handler]
fn create(todos: &Todos, Json(input): Json<TodoInput>) -> impl IntoResponse {
    let todo = todos.create(input);
    let location = format!("/todos/{}", todo.id);
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(todo),
    )
}

#[handler]
fn show(todos: &Todos, Path(id): Path<u64>) -> Result<Json<Todo>, NotFound> {
    todos.get(id).map(Json).ok_or_else(|| not_found(id))
}

#[handler]
fn replace(
    todos: &Todos,
    Path(id): Path<u64>,
    Json(input): Json<TodoInput>,
) -> Result<Json<Todo>, NotFound> {
    todos
        .replace(id, input)
        .map(Json)
        .ok_or_else(|| not_found(id))
}

#[handler]
fn delete(todos: &Todos, Path(id): Path<u64>) -> Result<StatusCode, NotFound> {
    if todos.delete(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(id))
    }
}

chain! {
    struct TodoApp;
    singletons { todos: Todos }
    routes {
        GET "/todos" => list,
        POST "/todos" => create,
        GET "/todos/{id}" => show,
        PUT "/todos/{id}" => replace,
        DELETE "/todos/{id}" => delete,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().init();
    let addr = "127.0.0.1:8081";
    let app = TodoApp::new(TodoAppSingletons {
        todos: Todos::default(),
    });
    tracing::info!("serving TodoApp on http://{addr}/todos\n{}", app.describe());
    kiln::serve(app).bind(addr).await
}
