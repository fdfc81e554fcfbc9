//! Validation cost per request: a 10-field JSON body with a nested list of 5
//! items, extracted as `Json<Order>` and as `Valid<Json<Order>>`, in process
//! (`FromRequest::from_request` on an in-memory request, polled by
//! `kiln_benches::block_on`; no socket, no runtime, no chain).
//!
//! Scenarios: `json` deserializes only; `valid_json` deserializes and runs
//! the rules (the difference is what validation costs a request); `rules`
//! runs `garde::Validate::validate` on a value already built; `invalid`
//! extracts a body with 4 failing fields (the 422 `Error` is built, not
//! rendered); `invalid_response` also renders it as problem+json.
//!
//! Run: `cargo bench -p kiln-benches --bench validate -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use garde::Validate;
use kiln::validate::Valid;
use kiln::{ConnInfo, FromRequest, IntoResponse, Json, PathParams, Request, RequestCx, TestClient};

/// Ten fields, one of them a list of items with rules of their own.
#[derive(serde::Deserialize, garde::Validate)]
#[allow(dead_code)] // read by serde and garde only
struct Order {
    #[garde(range(min = 1))]
    id: u64,
    #[garde(length(chars, min = 1, max = 80))]
    customer: String,
    #[garde(contains("@"), length(max = 254))]
    email: String,
    #[garde(ascii, length(min = 6, max = 20))]
    phone: String,
    #[garde(length(min = 1, max = 120))]
    street: String,
    #[garde(length(min = 1, max = 80))]
    city: String,
    #[garde(alphanumeric, length(min = 3, max = 10))]
    zip: String,
    #[garde(ascii, length(min = 2, max = 2))]
    country: String,
    #[garde(inner(length(max = 500)))]
    note: Option<String>,
    #[garde(length(min = 1, max = 50), dive)]
    items: Vec<Item>,
}

#[derive(serde::Deserialize, garde::Validate)]
#[allow(dead_code)] // read by serde and garde only
struct Item {
    #[garde(ascii, length(min = 3, max = 32))]
    sku: String,
    #[garde(length(min = 1, max = 100))]
    name: String,
    #[garde(range(min = 1, max = 99))]
    qty: u32,
}

fn order(valid: bool) -> Bytes {
    let items: Vec<_> = (0..5)
        .map(|i| {
            serde_json::json!({
                "sku": format!("SKU-{i:04}"),
                "name": if valid || i != 3 { "green tea" } else { "" },
                "qty": if valid || i != 1 { 2 } else { 100 },
            })
        })
        .collect();
    let body = serde_json::json!({
        "id": 7,
        "customer": if valid { "Ada Lovelace" } else { "" },
        "email": if valid { "ada@example.com" } else { "ada" },
        "phone": "+44 20 7946 0000",
        "street": "12 Analytical Row",
        "city": "London",
        "zip": "N16XE",
        "country": "GB",
        "note": "leave at the door",
        "items": items,
    });
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

fn request(body: &Bytes) -> Request {
    TestClient::new(())
        .post("/orders")
        .header("content-type", "application/json")
        .body(body.clone())
        .build()
}

fn extract<E: FromRequest>(req: &mut Request) -> Result<E, E::Rejection> {
    let info = ConnInfo::default();
    let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
    kiln_benches::block_on(E::from_request(req, &cx))
}

fn bench(c: &mut Criterion) {
    let valid = order(true);
    let invalid = order(false);
    assert!(extract::<Valid<Json<Order>>>(&mut request(&valid)).is_ok());
    let err = extract::<Valid<Json<Order>>>(&mut request(&invalid))
        .err()
        .expect("the invalid order fails");
    assert_eq!(err.field_errors().len(), 4, "{err}");

    let mut g = c.benchmark_group("validate");
    g.bench_function("json", |b| {
        b.iter_batched_ref(
            || request(&valid),
            |req| black_box(extract::<Json<Order>>(req).is_ok()),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("valid_json", |b| {
        b.iter_batched_ref(
            || request(&valid),
            |req| black_box(extract::<Valid<Json<Order>>>(req).is_ok()),
            BatchSize::SmallInput,
        );
    });
    let Ok(Json(value)) = extract::<Json<Order>>(&mut request(&valid)) else {
        unreachable!("checked above")
    };
    g.bench_function("rules", |b| b.iter(|| black_box(&value).validate().is_ok()));
    g.bench_function("invalid", |b| {
        b.iter_batched_ref(
            || request(&invalid),
            |req| black_box(extract::<Valid<Json<Order>>>(req).is_err()),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("invalid_response", |b| {
        b.iter_batched_ref(
            || request(&invalid),
            |req| match extract::<Valid<Json<Order>>>(req) {
                Ok(_) => unreachable!("checked above"),
                Err(e) => black_box(e.into_response()),
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
