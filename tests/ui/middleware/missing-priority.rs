use kiln::prelude::*;

#[middleware(pre_route)]
fn gate(_req: &Request) {}

fn main() {}
