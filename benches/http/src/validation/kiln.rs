//! The kiln server of the `validation` scenario: `Valid<Json<Order>>`, whose
//! rejection is kiln's own 422 (`validation_failed`, one JSON pointer per
//! failing field); nothing written by hand.

use kiln::prelude::*;
use kiln::validate::Valid;

use super::Order;

#[handler]
#[allow(clippy::needless_pass_by_value)] // extractors are taken by value
fn create(Valid(Json(order)): Valid<Json<Order>>) -> Response {
    Json(order.receipt()).into_response()
}

chain! {
    /// `validation`: one route taking a validated order.
    pub struct ValidationApp;
    routes { POST "/orders" => create }
}

/// The app.
#[must_use]
pub fn app() -> ValidationApp {
    ValidationApp::new()
}

#[cfg(test)]
mod tests {
    use super::super::{invalid, valid};
    use super::*;

    #[test]
    fn valid_is_a_receipt_and_invalid_is_kilns_422() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = TestClient::new(app());
            let order = valid();
            let res = client.post("/orders").json(&order).send().await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.text(), serde_json::to_string(&order.receipt()).unwrap());
            let res = client.post("/orders").json(&invalid()).send().await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let body: serde_json::Value = res.json();
            assert_eq!(body["code"], "validation_failed");
            let mut pointers: Vec<&str> = body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["pointer"].as_str().unwrap())
                .collect();
            pointers.sort_unstable();
            assert_eq!(
                pointers,
                [
                    "/currency",
                    "/customer/email",
                    "/quantity",
                    "/shipping/country"
                ]
            );
        });
    }
}
