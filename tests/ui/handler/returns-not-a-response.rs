use kiln::prelude::*;

struct Report {
    total: u32,
}

#[handler]
fn report() -> Report {
    Report { total: 3 }
}

chain! {
    struct App;
    routes { GET "/report" => report }
}

fn main() {
    let _ = App::new().describe().routes[0].pattern.map(|_| Report { total: 0 }.total);
}
