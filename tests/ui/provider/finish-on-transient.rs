use kiln::prelude::*;

struct Tx;

impl Finish for Tx {
    async fn finish(self, _res: &mut Response) {}
}

#[provider(finish)]
fn tx() -> Tx {
    Tx
}

#[handler]
fn hello(_tx: &Tx) -> &'static str {
    "hi"
}

chain! {
    struct App;
    transient { tx }
    routes { GET "/" => hello }
}

fn main() {}
