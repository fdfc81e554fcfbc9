use kiln::prelude::*;
use kiln::stats::Stats;

#[handler]
fn report(stats: Stats) -> String {
    format!("{stats:?}")
}

chain! {
    struct App;
    routes { GET "/report" => report }
    options { stats }
}

fn main() {}
