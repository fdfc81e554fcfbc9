use kiln::prelude::*;

struct User(u32);

#[middleware(priority = 10, pre_route)]
fn authenticate(req: &Request) -> Result<User, StatusCode> {
    req.headers().get("x-user").map(|_| User(1)).ok_or(StatusCode::UNAUTHORIZED)
}

#[handler]
fn list() -> &'static str {
    "[]"
}

#[handler]
fn create(user: &User) -> String {
    user.0.to_string()
}

// Shared middleware without a shared prefix; `,` after a scope is optional.
chain! {
    struct App;
    routes {
        GET "/posts" => list,
        scope with [authenticate] {
            POST "/posts" => create,
            PUT "/drafts" => create,
        }
        GET "/drafts" => list,
    }
}

fn main() {
    let app = App::new();
    let routes = &app.describe().routes;
    assert_eq!(routes.len(), 4);
    assert_eq!(routes[1].pattern, Some("/posts"));
    assert_eq!(routes[1].middleware[0].name, "authenticate");
    assert!(routes[3].middleware.is_empty());
}
