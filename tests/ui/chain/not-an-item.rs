use kiln::prelude::*;

// No `#[handler]`: `chain!` cannot see its signature.
fn plain() -> &'static str {
    "hello"
}

chain! {
    struct App;
    routes { GET "/" => plain }
}

fn main() {
    // Uses of the app do not add errors of their own.
    let _ = TestClient::new(App::new());
}
