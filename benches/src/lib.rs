//! The scenarios compared by `benches/chain.rs` and the `callgrind_chain` binary.
//!
//! Every "middleware" does the same small real work in every implementation:
//! on the way in it checks that the request carries `x-key: secret` (403
//! otherwise), on the way out it inserts its own static response header
//! (`x-mw-<i>: 1`). The endpoint answers `GET /` with the text `ok`
//! (`content-type: text/plain; charset=utf-8`) and 404 otherwise.
//!
//! Implementations:
//! - `kiln`: a `chain!` app; each middleware is a `pre_route` fn plus a
//!   `post_route` fn with the same priority (kiln fns have one phase each).
//! - `hand`: the same logic written inline in one `async fn`.
//! - `boxed`: a `Vec<Box<dyn DynMiddleware>>` where each middleware returns
//!   `Pin<Box<dyn Future + Send>>` and calls `next.run(req)`.
//! - `tower`: a `ServiceBuilder` stack of custom `Layer`s (hand-written
//!   futures via `pin-project-lite`, no boxing) around a `service_fn`.
//! - `axum`: a `Router` with one `middleware::from_fn` layer per middleware.
//!
//! Futures are driven by [`block_on`], a noop-waker poll loop: nothing here
//! ever returns `Pending`, so no runtime cost is measured.
//!
//! The HTTP benchmark suite (harness, peer servers, report) is the
//! `kiln-http-suite` package in `benches/http/`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker, ready};

use http::header::{CONTENT_TYPE, HeaderName};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use kiln::prelude::*;

/// Runs a future to completion on the current thread with a noop waker.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

// ---------------------------------------------------------------- shared work

/// The header every middleware checks.
static KEY: HeaderName = HeaderName::from_static("x-key");
/// The header each middleware `i` inserts on the way out.
static NAMES: [HeaderName; 10] = [
    HeaderName::from_static("x-mw-0"),
    HeaderName::from_static("x-mw-1"),
    HeaderName::from_static("x-mw-2"),
    HeaderName::from_static("x-mw-3"),
    HeaderName::from_static("x-mw-4"),
    HeaderName::from_static("x-mw-5"),
    HeaderName::from_static("x-mw-6"),
    HeaderName::from_static("x-mw-7"),
    HeaderName::from_static("x-mw-8"),
    HeaderName::from_static("x-mw-9"),
];
const TEXT: &str = "text/plain; charset=utf-8";

/// The pre-hook work: does the request carry `x-key: secret`?
#[inline]
pub fn check<B>(req: &http::Request<B>) -> bool {
    req.headers().get(&KEY).is_some_and(|v| v == "secret")
}

/// The post-hook work of middleware `i`: insert `x-mw-<i>: 1`.
#[inline]
pub fn stamp(headers: &mut HeaderMap, i: usize) {
    headers.insert(NAMES[i].clone(), HeaderValue::from_static("1"));
}

/// `true` for the one route, `GET /`.
#[inline]
fn is_route<B>(req: &http::Request<B>) -> bool {
    req.uri().path() == "/" && req.method() == Method::GET
}

/// The request every kiln, hand-written and boxed scenario handles.
#[must_use]
pub fn kiln_request() -> kiln::Request {
    // `Request::new` is `GET /`.
    let mut req = http::Request::new(kiln::Body::empty());
    req.headers_mut()
        .insert(KEY.clone(), HeaderValue::from_static("secret"));
    req
}

/// The same request with an axum body, for the tower and axum scenarios.
#[must_use]
pub fn axum_request() -> http::Request<axum::body::Body> {
    // `Request::new` is `GET /`.
    let mut req = http::Request::new(axum::body::Body::empty());
    req.headers_mut()
        .insert(KEY.clone(), HeaderValue::from_static("secret"));
    req
}

/// A scenario: something that builds its request and handles it.
pub trait Scenario {
    /// The request type.
    type Req;
    /// The response body type.
    type Body;
    /// Builds one request (not measured).
    fn request(&self) -> Self::Req;
    /// Handles one request to completion (measured).
    fn handle(&self, req: Self::Req) -> http::Response<Self::Body>;
}

// ----------------------------------------------------------------------- kiln

/// kiln's generated chains.
pub mod kiln_apps {
    use super::{check, stamp};
    use kiln::prelude::*;

    macro_rules! mws {
        ($($pre:ident, $post:ident = $p:literal),*) => {$(
            /// Pre hook: requires `x-key: secret`.
            ///
            /// # Errors
            /// 403 without it.
            #[middleware(priority = $p, pre_route)]
            pub fn $pre(req: &Request) -> Result<(), StatusCode> {
                if check(req) { Ok(()) } else { Err(StatusCode::FORBIDDEN) }
            }
            /// Post hook: inserts this middleware's header.
            #[middleware(priority = $p, post_route)]
            pub fn $post(res: &mut Response) {
                stamp(res.headers_mut(), $p);
            }
        )*};
    }
    mws!(
        pre0,
        post0 = 0,
        pre1,
        post1 = 1,
        pre2,
        post2 = 2,
        pre3,
        post3 = 3,
        pre4,
        post4 = 4,
        pre5,
        post5 = 5,
        pre6,
        post6 = 6,
        pre7,
        post7 = 7,
        pre8,
        post8 = 8,
        pre9,
        post9 = 9
    );

    macro_rules! empties {
        ($($name:ident = $p:literal),*) => {$(
            /// Does nothing: pure dispatch cost.
            #[middleware(priority = $p, pre_route)]
            fn $name() {}
        )*};
    }
    empties!(
        e0 = 0,
        e1 = 1,
        e2 = 2,
        e3 = 3,
        e4 = 4,
        e5 = 5,
        e6 = 6,
        e7 = 7,
        e8 = 8,
        e9 = 9
    );

    /// The endpoint of every chain: `GET /` answers `ok`.
    #[handler]
    #[must_use]
    pub fn ok() -> &'static str {
        "ok"
    }

    chain! {
        /// No middleware.
        pub struct Kiln0;
        routes { GET "/" => ok }
    }
    chain! {
        /// One middleware.
        pub struct Kiln1;
        middleware { pre0, post0 }
        routes { GET "/" => ok }
    }
    chain! {
        /// Five middleware.
        pub struct Kiln5;
        middleware { pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4 }
        routes { GET "/" => ok }
    }
    chain! {
        /// Ten middleware.
        pub struct Kiln10;
        middleware {
            pre0, post0, pre1, post1, pre2, post2, pre3, post3, pre4, post4,
            pre5, post5, pre6, post6, pre7, post7, pre8, post8, pre9, post9
        }
        routes { GET "/" => ok }
    }
    chain! {
        /// Ten middleware that do nothing.
        pub struct KilnEmpty10;
        middleware { e0, e1, e2, e3, e4, e5, e6, e7, e8, e9 }
        routes { GET "/" => ok }
    }
}

/// A kiln app as a scenario, with one connection reused across requests (as
/// a server does).
pub struct KilnScenario<A>(pub A, pub std::cell::RefCell<kiln::Conn>);

impl<A> KilnScenario<A> {
    /// Wraps an app.
    pub fn new(app: A) -> Self {
        KilnScenario(app, std::cell::RefCell::default())
    }
}

impl<A: kiln::App> Scenario for KilnScenario<A> {
    type Req = kiln::Request;
    type Body = kiln::Body;
    fn request(&self) -> kiln::Request {
        kiln_request()
    }
    fn handle(&self, req: kiln::Request) -> kiln::Response {
        let mut conn = self.1.borrow_mut();
        block_on(self.0.handle(req, &mut conn))
    }
}

// --------------------------------------------------------------- hand-written

/// The logic of `N` middleware written inline in one `async fn` (the loops
/// run over a constant and unroll to straight-line code).
#[allow(clippy::unused_async)] // an `async fn` on purpose: it is the hand-written equivalent of an async pipeline
pub async fn hand<const N: usize>(req: Request) -> Response {
    for i in 0..N {
        if !check(&req) {
            let mut res = StatusCode::FORBIDDEN.into_response();
            for j in (0..i).rev() {
                stamp(res.headers_mut(), j);
            }
            return res;
        }
    }
    let mut res = if is_route(&req) {
        "ok".into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    };
    for i in (0..N).rev() {
        stamp(res.headers_mut(), i);
    }
    res
}

/// Ten middleware that do nothing, written inline: nothing to write.
#[allow(clippy::unused_async)] // see `hand`
pub async fn hand_empty(req: Request) -> Response {
    if is_route(&req) {
        "ok".into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// [`hand`] as a scenario (`EMPTY` selects [`hand_empty`]).
pub struct HandScenario<const N: usize, const EMPTY: bool>;

impl<const N: usize, const EMPTY: bool> Scenario for HandScenario<N, EMPTY> {
    type Req = kiln::Request;
    type Body = kiln::Body;
    fn request(&self) -> kiln::Request {
        kiln_request()
    }
    fn handle(&self, req: kiln::Request) -> kiln::Response {
        if EMPTY {
            block_on(hand_empty(req))
        } else {
            block_on(hand::<N>(req))
        }
    }
}

// ---------------------------------------------------------------------- boxed

/// A boxed future, as returned by dynamic middleware.
pub type BoxFut<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// Middleware behind `Box<dyn>`, each returning a boxed future.
pub trait DynMiddleware: Send + Sync {
    /// Handles the request, calling `next.run(req)` to continue.
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFut<'a>;
}

/// The endpoint behind a dynamic chain.
pub type Endpoint = Box<dyn Fn(Request) -> BoxFut<'static> + Send + Sync>;

/// The rest of a dynamic chain.
pub struct Next<'a> {
    rest: &'a [Box<dyn DynMiddleware>],
    endpoint: &'a Endpoint,
}

impl<'a> Next<'a> {
    /// Runs the next middleware, or the endpoint.
    #[must_use]
    pub fn run(self, req: Request) -> BoxFut<'a> {
        match self.rest.split_first() {
            Some((mw, rest)) => mw.handle(
                req,
                Next {
                    rest,
                    endpoint: self.endpoint,
                },
            ),
            None => (self.endpoint)(req),
        }
    }
}

/// The checking and stamping middleware `i`.
struct CheckStamp(usize);

impl DynMiddleware for CheckStamp {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFut<'a> {
        Box::pin(async move {
            if !check(&req) {
                return StatusCode::FORBIDDEN.into_response();
            }
            let mut res = next.run(req).await;
            stamp(res.headers_mut(), self.0);
            res
        })
    }
}

/// A middleware that only calls the next one.
struct Nothing;

impl DynMiddleware for Nothing {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFut<'a> {
        Box::pin(async move { next.run(req).await })
    }
}

/// A `Vec<Box<dyn DynMiddleware>>` chain in front of a boxed endpoint.
pub struct Boxed {
    chain: Vec<Box<dyn DynMiddleware>>,
    endpoint: Endpoint,
}

impl Boxed {
    fn with(chain: Vec<Box<dyn DynMiddleware>>) -> Self {
        Boxed {
            chain,
            endpoint: Box::new(|req| {
                Box::pin(async move {
                    if is_route(&req) {
                        "ok".into_response()
                    } else {
                        StatusCode::NOT_FOUND.into_response()
                    }
                })
            }),
        }
    }

    /// `n` checking and stamping middleware.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Self::with(
            (0..n)
                .map(|i| Box::new(CheckStamp(i)) as Box<dyn DynMiddleware>)
                .collect(),
        )
    }

    /// `n` middleware that do nothing.
    #[must_use]
    pub fn empty(n: usize) -> Self {
        Self::with(
            (0..n)
                .map(|_| Box::new(Nothing) as Box<dyn DynMiddleware>)
                .collect(),
        )
    }

    /// Runs the chain.
    pub fn call(&self, req: Request) -> BoxFut<'_> {
        Next {
            rest: &self.chain,
            endpoint: &self.endpoint,
        }
        .run(req)
    }
}

impl Scenario for Boxed {
    type Req = kiln::Request;
    type Body = kiln::Body;
    fn request(&self) -> kiln::Request {
        kiln_request()
    }
    fn handle(&self, req: kiln::Request) -> kiln::Response {
        block_on(self.call(req))
    }
}

// ---------------------------------------------------------------------- tower

/// Tower and axum stacks.
pub mod towers {
    use super::{
        CONTENT_TYPE, Context, Future, HeaderValue, Infallible, Pin, Poll, Scenario, StatusCode,
        TEXT, axum_request, block_on, check, is_route, ready, stamp,
    };
    use axum::body::Body;
    use tower::{Layer, Service, ServiceBuilder, ServiceExt};

    /// The request type of the tower and axum scenarios.
    pub type Req = http::Request<Body>;
    /// The response type of the tower and axum scenarios.
    pub type Res = http::Response<Body>;

    /// Layer for the checking and stamping middleware `i`.
    #[derive(Clone, Copy)]
    pub struct CheckStampLayer(pub usize);

    impl<S> Layer<S> for CheckStampLayer {
        type Service = CheckStamp<S>;
        fn layer(&self, inner: S) -> CheckStamp<S> {
            CheckStamp { inner, i: self.0 }
        }
    }

    /// The checking and stamping middleware `i` as a tower service.
    #[derive(Clone)]
    pub struct CheckStamp<S> {
        inner: S,
        i: usize,
    }

    impl<S> Service<Req> for CheckStamp<S>
    where
        S: Service<Req, Response = Res>,
    {
        type Response = Res;
        type Error = S::Error;
        type Future = CheckStampFuture<S::Future>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, req: Req) -> Self::Future {
            if check(&req) {
                CheckStampFuture::Inner {
                    fut: self.inner.call(req),
                    i: self.i,
                }
            } else {
                CheckStampFuture::Forbidden
            }
        }
    }

    // pin-project-lite accepts no doc comments on fields, so the generated
    // projection's fields cannot be documented.
    #[allow(missing_docs)]
    mod fut {
        use super::{Body, Context, Future, Pin, Poll, Res, StatusCode, ready, stamp};
        pin_project_lite::pin_project! {
            /// The future of [`CheckStamp`], written by hand (no boxing).
            #[project = CheckStampProj]
            pub enum CheckStampFuture<F> {
                /// The check failed.
                Forbidden,
                /// The inner service runs; stamp its response.
                Inner { #[pin] fut: F, i: usize },
            }
        }

        impl<F, E> Future for CheckStampFuture<F>
        where
            F: Future<Output = Result<Res, E>>,
        {
            type Output = Result<Res, E>;
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                match self.project() {
                    CheckStampProj::Forbidden => {
                        let mut res = Res::new(Body::empty());
                        *res.status_mut() = StatusCode::FORBIDDEN;
                        Poll::Ready(Ok(res))
                    }
                    CheckStampProj::Inner { fut, i } => {
                        let mut res = ready!(fut.poll(cx))?;
                        stamp(res.headers_mut(), *i);
                        Poll::Ready(Ok(res))
                    }
                }
            }
        }
    }
    pub use fut::CheckStampFuture;

    /// The endpoint: `GET /` answers `ok`.
    ///
    /// # Errors
    /// Never.
    #[allow(clippy::unused_async)] // `service_fn` needs a future
    pub async fn endpoint(req: Req) -> Result<Res, Infallible> {
        let res = if is_route(&req) {
            let mut res = Res::new(Body::from("ok"));
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
            res
        } else {
            let mut res = Res::new(Body::empty());
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        };
        Ok(res)
    }

    macro_rules! stack {
        ($($i:literal),*) => {
            ServiceBuilder::new()
                $(.layer(CheckStampLayer($i)))*
                .service_fn(endpoint)
        };
    }

    /// A tower stack as a scenario. Like hyper-util's `TowerToHyperService`
    /// (what `axum::serve` uses), each request runs on a clone of the service.
    pub struct TowerScenario<S>(pub S);

    impl<S> Scenario for TowerScenario<S>
    where
        S: Service<Req, Response = Res, Error = Infallible> + Clone,
    {
        type Req = Req;
        type Body = Body;
        fn request(&self) -> Req {
            axum_request()
        }
        fn handle(&self, req: Req) -> Res {
            match block_on(self.0.clone().oneshot(req)) {
                Ok(res) => res,
                Err(never) => match never {},
            }
        }
    }

    /// The service type of a tower scenario.
    pub trait Svc: Service<Req, Response = Res, Error = Infallible> + Clone {}
    impl<S: Service<Req, Response = Res, Error = Infallible> + Clone> Svc for S {}

    /// No layers.
    #[must_use]
    pub fn tower0() -> TowerScenario<impl Svc> {
        TowerScenario(stack!())
    }
    /// One layer.
    #[must_use]
    pub fn tower1() -> TowerScenario<impl Svc> {
        TowerScenario(stack!(0))
    }
    /// Five layers.
    #[must_use]
    pub fn tower5() -> TowerScenario<impl Svc> {
        TowerScenario(stack!(0, 1, 2, 3, 4))
    }
    /// Ten layers.
    #[must_use]
    pub fn tower10() -> TowerScenario<impl Svc> {
        TowerScenario(stack!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
    }

    /// An axum `Router` with `n` `middleware::from_fn` layers; a `Router` is a
    /// tower service, so it runs exactly like the tower stacks.
    pub type AxumScenario = TowerScenario<axum::Router>;

    /// `n` checking and stamping `from_fn` layers.
    #[must_use]
    pub fn axum_scenario(n: usize) -> AxumScenario {
        let mut router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        for i in 0..n {
            router = router.layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                    if !check(&req) {
                        return axum::response::IntoResponse::into_response(StatusCode::FORBIDDEN);
                    }
                    let mut res = next.run(req).await;
                    stamp(res.headers_mut(), i);
                    res
                },
            ));
        }
        TowerScenario(router)
    }
}

/// Checks that a response is the expected `200 ok` with all `n` stamps.
///
/// # Panics
/// When it is not.
pub fn assert_ok(status: StatusCode, headers: &HeaderMap, n: usize) {
    assert_eq!(status, StatusCode::OK);
    for name in &NAMES[..n] {
        assert!(headers.contains_key(name), "missing {name}");
    }
    if n < NAMES.len() {
        assert!(!headers.contains_key(&NAMES[n]), "unexpected {}", NAMES[n]);
    }
}

/// Receives every scenario from [`all`].
pub trait Visit {
    /// One scenario: its implementation (`kiln`, `hand`, ...), its number of
    /// middleware, whether they are empty, and the scenario itself.
    fn visit<S: Scenario>(&mut self, imp: &'static str, n: usize, empty: bool, s: S);
}

/// Hands every scenario to `v`, in table order.
pub fn all(v: &mut impl Visit) {
    use kiln_apps::{Kiln0, Kiln1, Kiln5, Kiln10, KilnEmpty10};
    use towers::{axum_scenario, tower0, tower1, tower5, tower10};
    v.visit("kiln", 0, false, KilnScenario::new(Kiln0::new()));
    v.visit("kiln", 1, false, KilnScenario::new(Kiln1::new()));
    v.visit("kiln", 5, false, KilnScenario::new(Kiln5::new()));
    v.visit("kiln", 10, false, KilnScenario::new(Kiln10::new()));
    v.visit("hand", 0, false, HandScenario::<0, false>);
    v.visit("hand", 1, false, HandScenario::<1, false>);
    v.visit("hand", 5, false, HandScenario::<5, false>);
    v.visit("hand", 10, false, HandScenario::<10, false>);
    for n in [0, 1, 5, 10] {
        v.visit("boxed", n, false, Boxed::new(n));
    }
    v.visit("tower", 0, false, tower0());
    v.visit("tower", 1, false, tower1());
    v.visit("tower", 5, false, tower5());
    v.visit("tower", 10, false, tower10());
    for n in [0, 1, 5, 10] {
        v.visit("axum", n, false, axum_scenario(n));
    }
    v.visit("kiln", 10, true, KilnScenario::new(KilnEmpty10::new()));
    v.visit("hand", 10, true, HandScenario::<10, true>);
    v.visit("boxed", 10, true, Boxed::empty(10));
}

/// A scenario's name: `kiln-5`, `boxed-empty-10`, ...
#[must_use]
pub fn name(imp: &str, n: usize, empty: bool) -> String {
    if empty {
        format!("{imp}-empty-{n}")
    } else {
        format!("{imp}-{n}")
    }
}

/// Handles one request of `s` and checks the response.
///
/// # Panics
/// When the response is not the expected one.
pub fn verify<S: Scenario>(s: &S, n: usize, empty: bool) {
    let res = s.handle(s.request());
    assert_ok(res.status(), res.headers(), if empty { 0 } else { n });
}
