use kiln::prelude::*;

#[middleware(priority = 1, wrap)]
async fn around(next: Next<'_>) {
    let _ = next.await;
}

fn main() {}
