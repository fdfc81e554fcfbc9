use std::time::Instant;

use kiln::prelude::*;

/// Both hooks: the start time lives on the stack between them.
struct Timer(Instant);

#[middleware(priority = 0, pre_route, post_route)]
impl Timer {
    fn pre() -> Self {
        Timer(Instant::now())
    }
    fn post(&self, res: &mut Response) {
        let _ = (self.0.elapsed(), res);
    }
}

#[handler]
fn hello(t: &Timer) -> String {
    format!("{:?}", t.0.elapsed() < std::time::Duration::from_secs(60))
}

chain! {
    struct App;
    middleware { Timer }
    routes { GET "/" => hello }
}

fn main() {
    let _ = App::new();
}
