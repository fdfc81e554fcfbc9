//! Allocation counts: the chain adds none.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kiln::prelude::*;

/// Counts allocations made while `ON` is set (this test binary has one test,
/// so no other thread allocates concurrently).
struct Counting;
static ON: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)] // a global allocator must be `unsafe impl`; it only forwards to `System`
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            COUNT.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    COUNT.store(0, Ordering::SeqCst);
    ON.store(true, Ordering::SeqCst);
    let res = app.handle(req, &mut conn).await;
    ON.store(false, Ordering::SeqCst);
    drop(res);
    COUNT.load(Ordering::SeqCst)
}

#[tokio::test]
async fn chain_adds_no_allocations() {
    let bare = Bare::new();
    let ten = Ten::new(Limit(64));
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
