//! The `validation` scenario (issue 12): `POST /orders` with a nested
//! payload of 20 fields (ten at the top, five in `customer`, five in
//! `shipping`), all under garde rules. A valid order is a `200` with a small
//! JSON receipt; an invalid one (four rules broken, at both levels) a `422`.
//!
//! kiln takes it as `Valid<Json<Order>>`, whose 422 is kiln's problem+json
//! `validation_failed` listing every failing field. axum and actix-web do
//! what their users write by hand: their `Json<Order>` extractor, then
//! `order.validate()`, then a 422 of [`errors_body`] (garde's paths and
//! messages as JSON). The harness checks the status and content type of
//! both before timing; the bodies of the 422s differ by design.

use serde::{Deserialize, Serialize};

use super::fixtures::JSON;
use super::scenario::{Case, Expect, HeaderRule, Request, Scenario};

pub mod actix;
pub mod axum;
pub mod kiln;

/// The route every framework serves.
pub const PATH: &str = "/orders";

/// An order: ten fields of its own and two nested structs of five.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate)]
pub struct Order {
    /// The client's order id.
    #[garde(ascii, length(min = 8, max = 64))]
    pub id: String,
    /// What is bought.
    #[garde(length(min = 1, max = 200))]
    pub title: String,
    /// How many.
    #[garde(range(min = 1, max = 1000))]
    pub quantity: u32,
    /// Unit price, in cents.
    #[garde(range(min = 1, max = 10_000_000))]
    pub price_cents: u64,
    /// ISO 4217 code.
    #[garde(ascii, length(min = 3, max = 3))]
    pub currency: String,
    /// Gift wrapping.
    #[garde(skip)]
    pub gift: bool,
    /// A note to the shop.
    #[garde(length(max = 500))]
    pub note: String,
    /// Labels, each 1–20 bytes.
    #[garde(length(min = 1, max = 10), inner(length(min = 1, max = 20)))]
    pub tags: Vec<String>,
    /// 1 (low) to 5.
    #[garde(range(min = 1, max = 5))]
    pub priority: u8,
    /// Where the order came from.
    #[garde(alphanumeric, length(min = 2, max = 16))]
    pub channel: String,
    /// Who orders.
    #[garde(dive)]
    pub customer: Customer,
    /// Where it goes.
    #[garde(dive)]
    pub shipping: Address,
}

/// The customer of an [`Order`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate)]
pub struct Customer {
    /// Full name.
    #[garde(length(min = 1, max = 100))]
    pub name: String,
    /// Contact address (a cheap check: an `@` and a length).
    #[garde(contains("@"), length(min = 3, max = 254))]
    pub email: String,
    /// Phone number.
    #[garde(ascii, length(min = 6, max = 20))]
    pub phone: String,
    /// Age in years.
    #[garde(range(min = 18, max = 130))]
    pub age: u8,
    /// Loyalty points.
    #[garde(range(max = 1_000_000))]
    pub points: u32,
}

/// The shipping address of an [`Order`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate)]
pub struct Address {
    /// Street and number.
    #[garde(length(min = 1, max = 200))]
    pub street: String,
    /// City.
    #[garde(length(min = 1, max = 100))]
    pub city: String,
    /// Postal code.
    #[garde(alphanumeric, length(min = 3, max = 10))]
    pub postcode: String,
    /// ISO 3166 alpha-2 code.
    #[garde(ascii, length(min = 2, max = 2))]
    pub country: String,
    /// Delivery instructions.
    #[garde(length(max = 300))]
    pub instructions: String,
}

/// What a valid order gets back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt<'a> {
    /// The order's id.
    pub id: &'a str,
    /// `quantity × price_cents`.
    pub total_cents: u64,
    /// The customer's name.
    pub customer: &'a str,
}

impl Order {
    /// The receipt of this order.
    #[must_use]
    pub fn receipt(&self) -> Receipt<'_> {
        Receipt {
            id: &self.id,
            total_cents: u64::from(self.quantity) * self.price_cents,
            customer: &self.customer.name,
        }
    }
}

/// The valid payload.
#[must_use]
pub fn valid() -> Order {
    Order {
        id: "ord-2026-000042".into(),
        title: "A cast-iron kiln, 40 litres".into(),
        quantity: 2,
        price_cents: 129_900,
        currency: "EUR".into(),
        gift: false,
        note: "Please call before delivery.".into(),
        tags: vec!["pottery".into(), "workshop".into(), "heavy".into()],
        priority: 3,
        channel: "web".into(),
        customer: Customer {
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
            phone: "+44 20 7946 0000".into(),
            age: 36,
            points: 1200,
        },
        shipping: Address {
            street: "12 Marylebone Road".into(),
            city: "London".into(),
            postcode: "NW15LR".into(),
            country: "GB".into(),
            instructions: "Leave at the back door.".into(),
        },
    }
}

/// The invalid payload: [`valid`] with four rules broken (`quantity`,
/// `currency`, `customer.email`, `shipping.country`).
#[must_use]
pub fn invalid() -> Order {
    let mut order = valid();
    order.quantity = 0;
    order.currency = "EURO".into();
    order.customer.email = "ada.example.org".into();
    order.shipping.country = "Britain".into();
    order
}

/// The paths of [`invalid`]'s failing fields, as garde names them.
pub const INVALID_PATHS: [&str; 4] = ["quantity", "currency", "customer.email", "shipping.country"];

/// The 422 body the axum and actix-web servers write by hand: every failing
/// field's garde path and message.
#[must_use]
pub fn errors_body(report: &garde::Report) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = report
        .iter()
        .map(|(path, error)| {
            serde_json::json!({ "path": path.to_string(), "message": error.message() })
        })
        .collect();
    serde_json::json!({ "errors": errors })
}

fn post(name: &str, order: &Order, expect: Expect) -> Request {
    Request {
        name: name.to_owned(),
        path: PATH.to_owned(),
        headers: vec![("content-type".into(), JSON.into())],
        body: Some(serde_json::to_string(order).expect("orders serialize")),
        expect,
    }
}

/// The `validation` scenario's one case.
///
/// # Panics
/// Never: the fixtures serialize.
#[must_use]
pub fn case() -> Case {
    let order = valid();
    let ok = Expect {
        status: 200,
        body: Some(serde_json::to_string(&order.receipt()).expect("receipts serialize")),
        headers: vec![("content-type".into(), HeaderRule::Exact(JSON.into()))],
    };
    let rejected = Expect {
        status: 422,
        body: None,
        headers: vec![("content-type".into(), HeaderRule::Present)],
    };
    Case {
        scenario: Scenario::Validation,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            post("valid", &order, ok),
            post("invalid", &invalid(), rejected),
        ],
        checks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use garde::Validate;

    use super::*;

    #[test]
    fn the_payloads_pass_and_fail_as_documented() {
        assert!(valid().validate().is_ok());
        let report = invalid().validate().unwrap_err();
        let mut paths: Vec<String> = report.iter().map(|(p, _)| p.to_string()).collect();
        paths.sort();
        let mut expected = INVALID_PATHS.map(str::to_owned);
        expected.sort();
        assert_eq!(paths, expected);
        assert_eq!(errors_body(&report)["errors"].as_array().unwrap().len(), 4);
    }
}
