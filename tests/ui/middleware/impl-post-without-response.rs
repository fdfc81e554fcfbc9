use kiln::prelude::*;

struct Timer;

#[middleware(priority = 1, pre_route, post_route)]
impl Timer {
    fn pre() -> Self {
        Timer
    }
    fn post(&self) {}
}

fn main() {}
