use kiln::prelude::*;

#[middleware(priority = 1, pre_route)]
struct Gate;

fn main() {}
