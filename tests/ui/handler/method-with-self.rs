use kiln::prelude::*;

struct S;

impl S {
    #[handler]
    fn hello(&self) -> &'static str {
        "hi"
    }
}

fn main() {}
