use kiln::prelude::*;

/// A friend request: the application's own `Request`, shadowing the prelude's.
struct Request {
    from: String,
}

#[handler]
fn accept(r: &Request) -> String {
    r.from.clone()
}

chain! {
    struct App;
    routes { POST "/accept" => accept }
}

fn main() {
    let _ = App::new();
}
