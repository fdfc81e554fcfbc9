// Generated code names kiln by the given path (here a re-export).
mod web {
    pub use kiln::*;
}

use kiln::prelude::*;

#[middleware(crate = web, priority = 0, post_route)]
fn stamp(res: &mut Response) {
    res.headers_mut().insert("x-stamp", kiln::http::HeaderValue::from_static("1"));
}

#[handler(crate = web)]
fn hello() -> &'static str {
    "hello"
}

#[provider(crate = web)]
fn answer() -> u32 {
    42
}

chain! {
    crate = web;
    struct App;
    transient { answer }
    middleware { stamp }
    routes { GET "/" => hello }
}

fn main() {
    let _ = App::new().describe();
}
