use kiln::prelude::*;

mod auth {
    pub struct Claims {
        pub sub: String,
    }
}

mod billing {
    pub struct Claims {
        pub plan: u8,
    }
}

#[middleware(priority = 10, pre_route)]
fn authenticate(req: &Request) -> auth::Claims {
    auth::Claims { sub: req.uri().path().to_owned() }
}

#[handler]
fn invoice(claims: &billing::Claims) -> String {
    claims.plan.to_string()
}

chain! {
    struct App;
    middleware { authenticate }
    routes { GET "/invoice" => invoice }
}

fn main() {
    let _ = App::new();
}
