use kiln::prelude::*;

struct NewTodo {
    title: String,
}

#[handler]
fn create(Json(todo): Json<NewTodo>) -> String {
    todo.title
}

chain! {
    struct App;
    routes { POST "/todos" => create }
}

fn main() {
    let _ = App::new();
}
