use std::fmt::Write as _;

use kiln::prelude::*;

mod items {
    use kiln::prelude::*;

    // Named like std's `write!` and `format!`: the descriptors beside them
    // pass any other input on to std's macros.
    #[handler]
    pub fn write() -> &'static str {
        "w"
    }

    #[middleware(priority = 0, post_route)]
    pub fn format(res: &mut Response) {
        let _ = res;
    }
}
use items::{format, write};

chain! {
    struct App;
    middleware { format }
    routes { GET "/" => write }
}

fn main() {
    let _ = App::new();
    // Here `write` and `format` are imported (not macro-expanded): they
    // resolve to the descriptors, which hand this input to std.
    let mut s = String::new();
    let _ = write!(s, "{}", format!("{}", 2));
    assert_eq!(s, "2");
}
