use kiln::prelude::*;

#[middleware(priority = 1, post_route)]
fn stamp(_res: &mut Response) -> u32 {
    7
}

fn main() {}
