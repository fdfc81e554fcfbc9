//! Routing: path parameters, scopes, `HEAD`, 404/405, the matched pattern and the arena.

use kiln::Bump;
use kiln::prelude::*;

#[derive(serde::Deserialize)]
struct PostRef {
    user: u32,
    slug: String,
}

#[handler]
fn user(Path(id): Path<u64>) -> String {
    format!("user {id}")
}

#[handler]
fn post(Path(p): Path<PostRef>) -> String {
    format!("{}:{}", p.user, p.slug)
}

#[handler]
fn pair(Path((a, b)): Path<(String, i32)>) -> String {
    format!("{a}/{b}")
}

/// Not `file`: a one-segment name is resolved as a macro where std's `file!`
/// also lives (E0659), see `chain::start`.
#[handler]
fn serve_file(Path(rest): Path<String>) -> String {
    rest
}

#[handler]
fn literal() -> &'static str {
    "literal"
}

#[handler]
fn pattern(route: RoutePattern) -> String {
    route.0.unwrap_or("none").to_owned()
}

/// Records the matched pattern on every response, including 404s.
#[middleware(priority = 0, pre_route)]
fn seen_route(route: RoutePattern) -> Seen {
    Seen(route.0.unwrap_or("-"))
}

struct Seen(&'static str);

#[middleware(priority = 0, post_route)]
fn stamp_route(seen: &Seen, res: &mut Response) {
    res.headers_mut()
        .insert("x-route", kiln::http::HeaderValue::from_static(seen.0));
}

#[middleware(priority = 5, pre_route)]
fn admin_only(req: &Request) -> Result<(), StatusCode> {
    if req.headers().contains_key("x-admin") {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

#[handler]
fn stats() -> &'static str {
    "stats"
}

#[handler]
fn arena_join(bump: &Bump, Path(n): Path<u32>) -> String {
    // Scratch work in the arena: a bump-allocated vector of the numbers.
    let mut v = bumpalo::collections::Vec::new_in(bump);
    v.extend(0..n);
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

chain! {
    struct Routes;
    middleware { seen_route, stamp_route }
    routes {
        GET "/users/new" => literal,
        GET "/users/{id}" => user,
        GET "/users/{user}/posts/{slug}" => post,
        GET "/pair/{a}/{b}" => pair,
        GET "/files/{*rest}" => serve_file,
        GET "/pattern/{x}" => pattern,
        GET "/arena/{n}" => arena_join,
        scope "/admin" with [admin_only] {
            GET "/stats" => stats,
            scope "/deep" {
                GET "/" => stats,
            },
        },
    }
}

fn client() -> TestClient<Routes> {
    TestClient::new(Routes::new())
}

#[tokio::test]
async fn path_parameters_deserialize_into_values_tuples_and_structs() {
    let c = client();
    assert_eq!(c.get("/users/42").send().await.text(), "user 42");
    assert_eq!(c.get("/users/7/posts/hello").send().await.text(), "7:hello");
    assert_eq!(c.get("/pair/x/-3").send().await.text(), "x/-3");
    assert_eq!(c.get("/files/a/b/c.txt").send().await.text(), "a/b/c.txt");
    // Values are percent-decoded.
    assert_eq!(c.get("/files/a%20b").send().await.text(), "a b");
    // A literal route wins over a parameter at the same place.
    assert_eq!(c.get("/users/new").send().await.text(), "literal");
}

#[tokio::test]
async fn a_bad_path_parameter_is_a_400_naming_it() {
    let res = client().get("/users/abc").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text();
    assert!(body.contains("`id`") && body.contains("abc"), "{body}");
    let res = client().get("/pair/x/y").send().await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().contains("`b`"), "{}", res.text());
}

#[tokio::test]
async fn the_matched_pattern_is_available_to_middleware_and_handlers() {
    let c = client();
    let res = c.get("/pattern/1").send().await;
    assert_eq!(res.text(), "/pattern/{x}");
    assert_eq!(res.header("x-route"), Some("/pattern/{x}"));
    assert_eq!(c.get("/nowhere").send().await.header("x-route"), Some("-"));
}

#[tokio::test]
async fn scopes_prefix_paths_and_add_middleware() {
    let c = client();
    assert_eq!(
        c.get("/admin/stats").send().await.status(),
        StatusCode::FORBIDDEN
    );
    let res = c.get("/admin/stats").header("x-admin", "1").send().await;
    assert_eq!(res.text(), "stats");
    let res = c.get("/admin/deep").header("x-admin", "1").send().await;
    assert_eq!(res.text(), "stats");
    assert_eq!(
        c.get("/admin/deep").send().await.status(),
        StatusCode::FORBIDDEN
    );
    // The scope's middleware does not leak to other routes.
    assert_eq!(c.get("/users/1").send().await.status(), StatusCode::OK);
}

#[tokio::test]
async fn head_is_served_by_get_without_a_body_and_405_lists_it() {
    let c = client();
    let res = c.request(Method::HEAD, "/users/5").send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.body.is_empty());
    let res = c.post("/users/5").send().await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    assert_eq!(res.header("x-route"), Some("-"));
}

#[tokio::test]
async fn trailing_slashes_match_exactly() {
    let c = client();
    assert_eq!(
        c.get("/admin/stats/").send().await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/users/").send().await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn sync_handlers_can_use_the_connection_arena() {
    assert_eq!(client().get("/arena/4").send().await.text(), "0,1,2,3");
}

mod fallback {
    use kiln::prelude::*;

    #[middleware(priority = 0, post_route)]
    fn tag(res: &mut Response) {
        res.headers_mut()
            .insert("x-seen", http::HeaderValue::from_static("1"));
    }

    #[handler]
    fn page() -> &'static str {
        "page"
    }

    /// Answers every unmatched path, with what a handler may take.
    #[handler]
    fn spa(req: &Request) -> (StatusCode, String) {
        (StatusCode::OK, format!("index for {}", req.uri().path()))
    }

    chain! {
        struct Spa;
        middleware { tag }
        routes {
            GET "/page" => page,
            fallback => spa,
        }
    }

    #[tokio::test]
    async fn the_fallback_answers_unmatched_paths_inside_the_global_chain() {
        let c = TestClient::new(Spa::new());
        let res = c.get("/app/settings").send().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.header("x-seen"), Some("1"));
        assert_eq!(res.text(), "index for /app/settings");
        assert_eq!(c.get("/page").send().await.text(), "page");
        // A known path with a wrong method is still a 405.
        let res = c.post("/page").send().await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.header("allow"), Some("GET, HEAD"));
        assert_eq!(res.header("x-seen"), Some("1"));
        let d = Spa::new().describe();
        assert_eq!(d.unmatched.handler.map(|h| h.name), Some("spa"));
    }
}
