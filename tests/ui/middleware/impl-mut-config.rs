use kiln::prelude::*;

struct Banner;

#[middleware(priority = 1, post_route)]
impl Banner {
    fn post(&mut self, _res: &mut Response) {}
}

fn main() {}
