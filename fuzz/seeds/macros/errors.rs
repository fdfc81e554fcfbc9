#[middleware(priority = x, pre_route, bogus)]
fn bad(req: &Request) {}
#[middleware(post_route)]
fn no_res(req: &Request) {}
#[handler(crate = ::kiln)]
fn h(x: Unknown, y: &mut Other) -> impl IntoResponse { "" }
#[provider(finish)]
fn p() -> Tx { todo!() }
chain! {
    struct App;
    transient { p }
    middleware { bad, no_res }
    routes { GET "nope" => h, BREW "/x" => h, GET "/a/{x}/{x}" => h, GET "/b/{*r}/c" => h }
    options { errors = render, nonsense }
}
