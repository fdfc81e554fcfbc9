use kiln::prelude::*;

struct Stamp;

#[provider]
fn stamp() -> Result<Stamp, StatusCode> {
    Ok(Stamp)
}

#[middleware(priority = 1, post_route)]
fn tag(_s: Stamp, _res: &mut Response) {}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    transient { stamp }
    middleware { tag }
    routes { GET "/" => hello }
}

fn main() {}
