use kiln::prelude::*;

fn render(e: &kiln::Error) -> Response {
    e.status().into_response()
}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    routes { GET "/" => hello }
    options { stats = on, errors = render, errors = render }
}

fn main() {}
