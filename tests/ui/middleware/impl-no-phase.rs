use kiln::prelude::*;

struct Config;

#[middleware(priority = 1)]
impl Config {
    fn helper(&self) {}
}

fn main() {}
