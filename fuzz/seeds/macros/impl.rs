struct Timer(u64);
#[middleware(priority = -5, pre_route, post_route)]
impl Timer {
    fn pre() -> Self { Timer(0) }
    fn post(&self, res: &mut Response) {}
}
#[middleware(priority = 1, wrap)]
async fn around(req: Request, next: Next<'_>) -> Response { next.run(req).await }
#[handler]
fn index() -> &'static str { "i" }
chain! {
    struct App;
    middleware { Timer, around(priority = 3) }
    routes { GET "/" => index, POST "/" => index }
}
