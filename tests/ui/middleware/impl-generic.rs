use kiln::prelude::*;

struct Banner<T>(T);

#[middleware(priority = 1, post_route)]
impl<T> Banner<T> {
    fn post(&self, _res: &mut Response) {}
}

fn main() {}
