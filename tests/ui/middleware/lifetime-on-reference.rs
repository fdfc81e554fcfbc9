use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
fn gate<'a>(_req: &'a Request) {}

fn main() {}
