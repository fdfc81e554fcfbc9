//! Allocation counts: the chain adds none.

use kiln::prelude::*;

/// Counts allocations (`kiln_tests::Counting`, shared by the allocation tests).
#[global_allocator]
static GLOBAL: kiln_tests::Counting = kiln_tests::Counting;

struct Limit(usize);

macro_rules! checks {
    ($($name:ident = $p:literal),*) => {$(
        /// A small real check: rejects requests whose path is too long.
        #[middleware(priority = $p, pre_route)]
        fn $name(req: &Request, limit: &Limit) -> Result<(), StatusCode> {
            if req.uri().path().len() > limit.0 { Err(StatusCode::URI_TOO_LONG) } else { Ok(()) }
        }
    )*};
}
checks!(
    c1 = 1,
    c2 = 2,
    c3 = 3,
    c4 = 4,
    c5 = 5,
    c6 = 6,
    c7 = 7,
    c8 = 8,
    c9 = 9,
    c10 = 10
);

#[handler]
fn fixed() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[handler]
fn text() -> &'static str {
    "hello"
}

chain! {
    struct Bare;
    routes { GET "/fixed" => fixed, GET "/text" => text }
}

chain! {
    struct Ten;
    singletons { limit: Limit }
    middleware { c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 }
    routes { GET "/fixed" => fixed, GET "/text" => text }
}

async fn allocations<A: kiln::App>(app: &A, path: &str) -> usize {
    let req = TestClient::new(()).get(path).build();
    let mut conn = kiln::Conn::default();
    kiln_tests::start_thread();
    let res = app.handle(req, &mut conn).await;
    let n = kiln_tests::stop_thread();
    drop(res);
    n
}

#[tokio::test]
async fn chain_adds_no_allocations() {
    let bare = Bare::new();
    let ten = Ten::new(TenSingletons { limit: Limit(64) });
    // A static response with no headers allocates nothing at all, chain or not.
    assert_eq!(allocations(&bare, "/fixed").await, 0);
    assert_eq!(allocations(&ten, "/fixed").await, 0);
    // A text response allocates only its header map (http's `HeaderMap`),
    // the same with ten middleware as with none.
    let text_base = allocations(&bare, "/text").await;
    println!("allocations for a text response: {text_base}");
    assert_eq!(allocations(&ten, "/text").await, text_base);
    // Unmatched requests through the chain: same as without it.
    assert_eq!(
        allocations(&ten, "/nope").await,
        allocations(&bare, "/nope").await
    );
}
