use kiln::prelude::*;

#[middleware(priority = 1, wrap)]
async fn around() -> Response {
    StatusCode::OK.into_response()
}

fn main() {}
