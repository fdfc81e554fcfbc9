use kiln::prelude::*;

#[middleware(priority = 3000000000, pre_route)]
fn huge() {}

#[middleware(priority = -2147483648, pre_route)]
fn lowest() {}

fn main() {}
