//! `TestClient`'s helpers: every method, JSON both ways, bearer tokens.

use kiln::headers::Bearer;
use kiln::prelude::*;

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Todo {
    title: String,
    done: bool,
}

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn method(m: Method) -> String {
    m.to_string()
}

#[handler]
fn echo(Json(todo): Json<Todo>) -> Json<Todo> {
    Json(todo)
}

#[handler]
fn token(Header(Bearer(t)): Header<Bearer>) -> String {
    t
}

chain! {
    struct Api;
    routes {
        GET "/m" => method, PUT "/m" => method, PATCH "/m" => method,
        DELETE "/m" => method, OPTIONS "/m" => method,
        POST "/echo" => echo,
        GET "/token" => token,
    }
}

fn client() -> TestClient<Api> {
    TestClient::new(Api::new())
}

#[tokio::test]
async fn every_method_has_a_shorthand() {
    let c = client();
    assert_eq!(c.get("/m").send().await.text(), "GET");
    assert_eq!(c.put("/m").send().await.text(), "PUT");
    assert_eq!(c.patch("/m").send().await.text(), "PATCH");
    assert_eq!(c.delete("/m").send().await.text(), "DELETE");
    assert_eq!(c.options("/m").send().await.text(), "OPTIONS");
    let head = c.head("/m").send().await;
    assert_eq!((head.status(), head.body.len()), (StatusCode::OK, 0));
}

#[tokio::test]
async fn json_round_trips_and_sets_the_content_type() {
    let c = client();
    let todo = Todo {
        title: "docs".into(),
        done: false,
    };
    let res = c.post("/echo").json(&todo).send().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Todo>(), todo);
    // `json` replaces a content type set before it.
    let res = c
        .post("/echo")
        .header("content-type", "text/plain")
        .json(&todo)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The wrong type is an error from `try_json`.
    let err = c.get("/m").send().await.try_json::<Todo>();
    assert!(err.is_err());
}

#[tokio::test]
#[should_panic(expected = "status 404 Not Found, body: {\"type\":\"about:blank\"")]
async fn json_panics_with_the_body_when_it_is_not_t() {
    let _: Todo = client().get("/nowhere").send().await.json();
}

#[tokio::test]
async fn bearer_sets_the_authorization_header() {
    let c = client();
    assert_eq!(c.get("/token").bearer("abc").send().await.text(), "abc");
    // Replaces, not appends.
    let res = c
        .get("/token")
        .header("authorization", "Basic x")
        .bearer("abc")
        .send()
        .await;
    assert_eq!(res.text(), "abc");
}
