use kiln::prelude::*;

#[provider(finish)]
fn flush() {}

fn main() {}
