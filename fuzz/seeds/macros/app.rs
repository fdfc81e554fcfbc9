#[provider]
async fn session(req: &Request) -> Result<Session, ApiError> { todo!() }
#[middleware(priority = 0, post_route)]
fn log(res: &mut Response) {}
#[middleware(priority = 20, pre_route)]
async fn auth(req: &Request, keys: &Keys) -> Result<Claims, ApiError> { todo!() }
#[middleware(priority = 30, pre_route)]
fn audit(claims: &Claims, session: &mut Session) {}
#[handler]
fn me(claims: &Claims, session: &Session, m: Method) -> String { todo!() }
#[handler]
fn health() -> &'static str { "ok" }
chain! {
    pub struct Api;
    singletons { keys: Keys }
    request { session }
    middleware { log, auth }
    routes {
        GET "/me" => me with [audit],
        #[limit(body = 1024)]
        scope "/v1" with [audit] { GET "/health" => health }
        GET "/users/{id}" => health,
        fallback => health,
    }
    options { stats }
}
