use kiln::prelude::*;

#[middleware(priority = 1, wrap)]
fn around(next: Next<'_>) -> Response {
    drop(next);
    StatusCode::OK.into_response()
}

fn main() {}
