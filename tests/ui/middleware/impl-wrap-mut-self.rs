use kiln::prelude::*;

struct Timeout;

#[middleware(priority = 1, wrap)]
impl Timeout {
    async fn wrap(&mut self, next: Next<'_>) -> Response {
        next.await
    }
}

fn main() {}
