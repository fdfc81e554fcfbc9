use kiln::prelude::*;

#[middleware(priority = 1, pre_route, post_route)]
fn gate(_res: &mut Response) {}

fn main() {}
