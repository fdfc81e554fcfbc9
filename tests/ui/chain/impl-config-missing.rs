use kiln::prelude::*;

struct Banner(&'static str);

#[middleware(priority = 1, post_route)]
impl Banner {
    fn post(&self, res: &mut Response) {
        let _ = (self.0, res);
    }
}

#[handler]
fn hello() -> &'static str {
    "hi"
}

chain! {
    struct App;
    middleware { Banner }
    routes { GET "/" => hello }
}

fn main() {}
