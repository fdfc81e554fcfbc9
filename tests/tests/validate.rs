//! `kiln::validate::Valid`: garde rules after deserialization, every failing
//! field in one 422 problem+json, malformed input still a 400.

use kiln::prelude::*;
use kiln::validate::Valid;
use kiln::{ConnInfo, PathParams, RequestCx};
use serde_json::{Value, json};

#[derive(Debug, serde::Deserialize, garde::Validate)]
struct Order {
    #[garde(length(chars, min = 1, max = 40))]
    customer: String,
    #[garde(contains("@"))]
    email: String,
    #[garde(dive)]
    address: Address,
    #[garde(length(min = 1), dive)]
    items: Vec<Item>,
    #[garde(custom(no_shouting))]
    note: String,
}

#[derive(Debug, serde::Deserialize, garde::Validate)]
struct Address {
    #[garde(length(min = 1))]
    city: String,
    #[garde(alphanumeric, length(min = 5, max = 5))]
    zip: String,
}

#[derive(Debug, serde::Deserialize, garde::Validate)]
struct Item {
    #[garde(length(min = 1))]
    name: String,
    #[garde(range(min = 1, max = 99))]
    qty: u32,
}

/// A custom rule: a note may not be all capitals. (garde passes the context by reference.)
#[allow(clippy::trivially_copy_pass_by_ref)]
fn no_shouting(note: &str, (): &()) -> garde::Result {
    if note.len() > 3 && note.chars().all(|c| !c.is_lowercase()) {
        return Err(garde::Error::new("please do not shout"));
    }
    Ok(())
}

#[derive(Debug, serde::Deserialize, garde::Validate)]
struct Page {
    #[garde(range(min = 1, max = 100))]
    per_page: u32,
}

#[derive(Debug, serde::Deserialize, garde::Validate)]
struct Slug {
    #[garde(ascii, length(max = 8))]
    slug: String,
}

#[handler]
fn create(Valid(Json(order)): Valid<Json<Order>>) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!("{} x{}", order.customer, order.items.len()),
    )
}

#[handler]
fn list(Valid(Query(page)): Valid<Query<Page>>) -> String {
    page.per_page.to_string()
}

#[handler]
fn signup(Valid(Form(page)): Valid<Form<Page>>) -> String {
    page.per_page.to_string()
}

#[handler]
fn post(Valid(Path(slug)): Valid<Path<Slug>>) -> String {
    slug.slug
}

chain! {
    struct Api;
    routes {
        POST "/orders" => create,
        GET "/orders" => list,
        POST "/form" => signup,
        GET "/posts/{slug}" => post,
    }
}

fn client() -> TestClient<Api> {
    TestClient::new(Api::new())
}

fn valid_order() -> Value {
    json!({
        "customer": "ada",
        "email": "ada@example.com",
        "address": {"city": "London", "zip": "12345"},
        "items": [{"name": "tea", "qty": 2}],
        "note": "thanks",
    })
}

/// `(pointer, detail)` of every field error, checking the 422 around them.
fn field_errors(res: &kiln::TestResponse) -> Vec<(String, String)> {
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let body: Value = res.json();
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["status"], 422);
    body["errors"]
        .as_array()
        .expect("an `errors` list")
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_valid_body_passes() {
    let res = client().post("/orders").json(&valid_order()).send().await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.text(), "ada x1");
}

#[tokio::test]
async fn every_failing_field_is_listed_with_its_pointer() {
    let mut order = valid_order();
    order["customer"] = json!("");
    order["email"] = json!("not-an-email");
    order["address"]["zip"] = json!("12");
    order["items"] = json!([
        {"name": "tea", "qty": 2},
        {"name": "cake", "qty": 1},
        {"name": "jam", "qty": 100},
        {"name": "", "qty": 0},
    ]);
    order["note"] = json!("HURRY UP");
    let res = client().post("/orders").json(&order).send().await;
    let errors = field_errors(&res);
    // In the order garde reports them (nested fields first, here).
    let mut pointers: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/address/zip",
            "/customer",
            "/email",
            "/items/2/qty",
            "/items/3/name",
            "/items/3/qty",
            "/note",
        ],
        "{errors:?}"
    );
    let detail = |p: &str| &errors.iter().find(|(q, _)| q == p).unwrap().1;
    assert_eq!(detail("/note"), "please do not shout");
    assert_eq!(detail("/items/3/name"), "length is lower than 1");
    assert!(detail("/items/2/qty").contains("99"), "{errors:?}");
}

#[tokio::test]
async fn an_empty_list_fails_its_own_rule() {
    let mut order = valid_order();
    order["items"] = json!([]);
    let errors = field_errors(&client().post("/orders").json(&order).send().await);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "/items");
}

#[tokio::test]
async fn malformed_json_is_400_and_the_wrong_shape_422_before_any_rule() {
    let c = client();
    let res = c
        .post("/orders")
        .header("content-type", "application/json")
        .body(r#"{"customer": "#)
        .send()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>()["code"], "invalid_json");

    let mut order = valid_order();
    order["items"][0]["qty"] = json!("two");
    let res = c.post("/orders").json(&order).send().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json();
    assert_eq!(body["code"], "json_mismatch");
    assert_eq!(body["pointer"], "/items/0/qty");
    assert_eq!(body.get("errors"), None);

    let res = c.post("/orders").body("{}").send().await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_body_shape() {
    let mut order = valid_order();
    order["customer"] = json!("");
    let res = client().post("/orders").json(&order).send().await;
    let body: Value = res.json();
    assert_eq!(
        body,
        json!({
            "type": "about:blank",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": "the data failed validation; `errors` lists every failing field",
            "code": "validation_failed",
            "errors": [{"pointer": "/customer", "detail": "length is lower than 1"}],
        })
    );
}

#[tokio::test]
async fn query_form_and_path_are_validated_too() {
    let c = client();
    assert_eq!(c.get("/orders?per_page=10").send().await.text(), "10");
    let errors = field_errors(&c.get("/orders?per_page=1000").send().await);
    assert_eq!(errors[0].0, "/per_page");
    // Not a number is the query's own 400, not a validation error.
    assert_eq!(
        c.get("/orders?per_page=x").send().await.status(),
        StatusCode::BAD_REQUEST
    );

    let form = |body: &'static str| {
        c.post("/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(form("per_page=5").await.text(), "5");
    assert_eq!(field_errors(&form("per_page=0").await)[0].0, "/per_page");

    assert_eq!(c.get("/posts/hello").send().await.text(), "hello");
    let errors = field_errors(&c.get("/posts/far-too-long").send().await);
    assert_eq!(errors[0].0, "/slug");
}

#[tokio::test]
async fn a_streamed_body_is_validated_after_it_arrives() {
    let bytes = serde_json::to_vec(&json!({"per_page": 0})).unwrap();
    let body = kiln::Body::wrap(http_body_util::Full::new(bytes::Bytes::from(bytes)));
    assert!(body.is_stream());
    let mut req = TestClient::new(())
        .post("/")
        .header("content-type", "application/json")
        .build();
    *req.body_mut() = body;
    let info = ConnInfo::default();
    let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
    let err = <Valid<Json<Page>> as FromRequest>::from_request(&mut req, &cx)
        .await
        .expect_err("per_page 0 is out of range");
    assert_eq!(err.code(), "validation_failed");
    assert_eq!(err.field_errors()[0].pointer, "/per_page");
}

mod context_from_di {
    use kiln::prelude::*;
    use kiln::validate::Valid;
    use serde_json::json;

    /// A singleton the rules read.
    struct Limits {
        max_items: usize,
        banned: &'static str,
    }

    fn not_banned(name: &str, limits: &Limits) -> garde::Result {
        if name == limits.banned {
            return Err(garde::Error::new("is not allowed"));
        }
        Ok(())
    }

    fn few_enough(items: &[String], limits: &Limits) -> garde::Result {
        if items.len() > limits.max_items {
            return Err(garde::Error::new(format!(
                "at most {} items",
                limits.max_items
            )));
        }
        Ok(())
    }

    #[derive(serde::Deserialize, garde::Validate)]
    #[garde(context(Limits))]
    struct Cart {
        #[garde(custom(not_banned))]
        name: String,
        #[garde(custom(few_enough))]
        items: Vec<String>,
    }

    #[handler]
    fn save(Valid(Json(cart)): Valid<Json<Cart>>) -> String {
        format!("{} {}", cart.name, cart.items.len())
    }

    chain! {
        struct Shop;
        singletons { limits: Limits }
        routes { POST "/carts" => save }
    }

    #[tokio::test]
    async fn rules_read_their_context_from_the_apps_singletons() {
        let c = TestClient::new(Shop::new(ShopSingletons {
            limits: Limits {
                max_items: 2,
                banned: "root",
            },
        }));
        let ok = c
            .post("/carts")
            .json(&json!({"name": "ada", "items": ["a", "b"]}))
            .send()
            .await;
        assert_eq!(ok.text(), "ada 2");
        let res = c
            .post("/carts")
            .json(&json!({"name": "root", "items": ["a", "b", "c"]}))
            .send()
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = res.json();
        let mut fields: Vec<(String, String)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["pointer"].as_str().unwrap().to_owned(),
                    e["detail"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        fields.sort();
        assert_eq!(fields[0].0, "/items");
        assert_eq!(fields[1].0, "/name");
        assert!(body.to_string().contains("at most 2 items"), "{body}");
    }
}
