use std::rc::Rc;

use kiln::prelude::*;

async fn lookup() -> u32 {
    42
}

#[handler]
async fn count() -> String {
    let cached = Rc::new(1u32);
    let n = lookup().await;
    format!("{}", *cached + n)
}

chain! {
    struct App;
    routes { GET "/count" => count }
}

fn main() {
    let _ = App::new();
}
