use kiln::prelude::*;

#[middleware(priority = 1)]
fn gate(_req: &Request) {}

fn main() {}
