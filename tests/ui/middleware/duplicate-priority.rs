use kiln::prelude::*;

#[middleware(priority = 1, pre_route, priority = 2)]
fn gate(_req: &Request) {}

fn main() {}
