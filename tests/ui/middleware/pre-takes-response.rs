use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
fn stamp(_res: &mut Response) {}

fn main() {}
