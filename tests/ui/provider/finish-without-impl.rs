use kiln::prelude::*;

struct Tx;

#[provider(finish)]
fn tx() -> Result<Tx, StatusCode> {
    Ok(Tx)
}

fn main() {}
