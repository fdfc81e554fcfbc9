use kiln::prelude::*;

#[handler]
fn stats() -> &'static str {
    "stats"
}

chain! {
    struct App;
    routes { scope "/admin/" { GET "/stats" => stats } }
}

fn main() {}
