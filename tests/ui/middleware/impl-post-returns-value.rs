use kiln::prelude::*;

struct Timer;

#[middleware(priority = 0, pre_route, post_route)]
impl Timer {
    fn pre() -> Self {
        Timer
    }
    fn post(&self, _res: &mut Response) -> u32 {
        1
    }
}

fn main() {}
