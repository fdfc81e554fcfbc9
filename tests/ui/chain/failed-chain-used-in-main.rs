use kiln::prelude::*;

struct Db;

#[handler]
fn hello(db: &Db) -> &'static str {
    let _ = db;
    "hello"
}

chain! {
    struct App;
    routes { GET "/" => hello }
}

fn main() {
    // The only error is the missing `Db`: the app, `new`, `describe` and
    // `App` (for `serve` and `TestClient`) still exist.
    let app = App::new();
    println!("{}", app.describe());
    let _ = kiln::serve(app);
}
