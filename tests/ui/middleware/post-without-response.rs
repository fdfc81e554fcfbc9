use kiln::prelude::*;

#[middleware(priority = 1, post_route)]
fn stamp(_req: &Request) {}

fn main() {}
