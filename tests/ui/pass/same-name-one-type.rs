use kiln::prelude::*;

mod auth {
    pub struct Claims {
        pub sub: u32,
    }
}
use auth::Claims;

#[middleware(priority = 10, pre_route)]
fn authenticate(_req: &Request) -> auth::Claims {
    auth::Claims { sub: 7 }
}

// `Claims` and `crate::auth::Claims` are one type written two ways.
#[handler]
fn me(claims: &Claims, again: &crate::auth::Claims) -> String {
    (claims.sub + again.sub).to_string()
}

chain! {
    struct App;
    middleware { authenticate }
    routes { GET "/me" => me }
}

fn main() {
    let _ = App::new();
}
