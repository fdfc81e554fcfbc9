use kiln::prelude::*;

struct Config;

#[middleware(priority = 1, pre_route)]
impl Config {
    fn pre(self) {}
}

fn main() {}
