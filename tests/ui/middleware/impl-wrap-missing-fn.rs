use kiln::prelude::*;

struct Timeout;

#[middleware(priority = 1, wrap)]
impl Timeout {
    async fn pre(&self) {}
}

fn main() {}
