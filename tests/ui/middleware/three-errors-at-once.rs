use kiln::prelude::*;

#[middleware(priority = x, order = 3, pre_route, pre_route)]
fn gate(_req: &Request) {}

fn main() {}
