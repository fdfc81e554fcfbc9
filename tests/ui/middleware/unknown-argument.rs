use kiln::prelude::*;

#[middleware(priority = 1, pre_route, order = 3)]
fn gate(_req: &Request) {}

fn main() {}
