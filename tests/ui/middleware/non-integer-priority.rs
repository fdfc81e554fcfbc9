use kiln::prelude::*;

#[middleware(priority = "high", pre_route)]
fn gate(_req: &Request) {}

fn main() {}
