use kiln::prelude::*;

struct Timer;

#[middleware(priority = 1, pre_route)]
impl Timer {
    fn pre() -> Self {
        Timer
    }
    fn post(&self, _res: &mut Response) {}
}

fn main() {}
