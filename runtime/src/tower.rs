//! Tower interop, both ways.
//!
//! * [`IntoService`]: a kiln app as a [`tower::Service`], to mount it in an
//!   axum router or under any tower-based server.
//! * [`Layered`]: a kiln app wrapped in a [`tower::Layer`] (tower-http's
//!   compression, timeouts, tracing, ...), itself an [`App`] that
//!   [`serve`](crate::serve) runs. This is the migration path for existing
//!   tower middleware, and an explicit escape hatch from kiln's compile-time
//!   chains: the layered service is boxed (`BoxCloneSyncService`), so each
//!   request costs a few allocations and dynamic calls that a `chain!`
//!   middleware does not. Move middleware into the chain as you port it.

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::{App, Body, BoxError, Conn, ConnInfo, IntoResponse, Request, Response};

/// A kiln [`App`] as a [`tower::Service`] for requests with any body type.
///
/// Built by [`App::into_service`] or [`IntoService::new`]; cloning shares the
/// app (an `Arc`). Each call runs the app with a fresh [`Conn`] whose
/// [`ConnInfo`] is taken from the request's extensions when present (insert
/// one to pass the peer address or a body limit), or the default otherwise.
/// Each call boxes its future: tower's `Service` needs a nameable future type.
///
/// ```
/// use kiln::{App, Conn, IntoResponse, Request, Response};
/// use tower::ServiceExt;
///
/// struct Hello;
/// impl App for Hello {
///     async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response { "hi".into_response() }
/// }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let req = kiln::http::Request::new(String::from("ignored"));
/// # let req = req.map(|s| http_body_util::Full::new(bytes::Bytes::from(s)));
/// let res = Hello.into_service().oneshot(req).await.unwrap();
/// assert_eq!(res.into_body().collect(64).await.unwrap(), "hi");
/// # });
/// ```
pub struct IntoService<A> {
    app: Arc<A>,
}

impl<A: App> IntoService<A> {
    /// Wraps an app.
    pub fn new(app: A) -> Self {
        IntoService { app: Arc::new(app) }
    }

    /// Wraps an app that is already shared.
    pub fn from_arc(app: Arc<A>) -> Self {
        IntoService { app }
    }
}

impl<A> Clone for IntoService<A> {
    fn clone(&self) -> Self {
        IntoService {
            app: Arc::clone(&self.app),
        }
    }
}

impl<A> fmt::Debug for IntoService<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoService").finish_non_exhaustive()
    }
}

impl<A, B> Service<http::Request<B>> for IntoService<A>
where
    A: App,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let app = Arc::clone(&self.app);
        let info = req
            .extensions()
            .get::<ConnInfo>()
            .copied()
            .unwrap_or_default();
        let req = req.map(into_body);
        Box::pin(async move {
            let mut conn = Conn::new(info);
            Ok(app.handle(req, &mut conn).await)
        })
    }
}

/// Any body as a kiln [`Body`]; a kiln `Body` is passed through, not boxed again.
fn into_body<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let mut slot = Some(body);
    if let Some(kiln) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Body>>() {
        return kiln.take().unwrap_or_default();
    }
    slot.map(Body::wrap).unwrap_or_default()
}

/// A kiln app behind a [`tower::Layer`]: the boxed escape hatch for tower
/// middleware (see the module docs for the cost).
///
/// The layer wraps the app's [`IntoService`]; any response body type and any
/// error type convertible to [`BoxError`] are accepted. A service error is
/// logged and answered `500`. The connection's [`ConnInfo`] reaches the
/// inner app through the request extensions; its arena does not (the inner
/// app gets a fresh one).
///
/// ```
/// use std::time::Duration;
/// use kiln::{App, Conn, IntoResponse, Layered, Request, Response, TestClient};
///
/// struct Hello;
/// impl App for Hello {
///     async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response { "hi".into_response() }
/// }
///
/// // Any tower layer works the same; here, tower's own `MapResponseLayer`.
/// let app = Layered::new(Hello, tower::util::MapResponseLayer::new(|mut res: Response| {
///     res.headers_mut().insert("x-layered", kiln::http::HeaderValue::from_static("1"));
///     res
/// }));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = TestClient::new(app).get("/").send().await;
/// assert_eq!(res.header("x-layered"), Some("1"));
/// # });
/// ```
pub struct Layered {
    svc: BoxCloneSyncService<Request, Response, BoxError>,
}

impl Layered {
    /// Wraps `app` in `layer`.
    pub fn new<A, L, ResBody>(app: A, layer: L) -> Self
    where
        A: App,
        L: Layer<IntoService<A>>,
        L::Service:
            Service<Request, Response = http::Response<ResBody>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
        <L::Service as Service<Request>>::Error: Into<BoxError>,
        ResBody: http_body::Body<Data = Bytes> + Send + 'static,
        ResBody::Error: Into<BoxError>,
    {
        let svc = layer
            .layer(IntoService::new(app))
            .map_response(|res: http::Response<ResBody>| res.map(into_body))
            .map_err(Into::into);
        Layered {
            svc: BoxCloneSyncService::new(svc),
        }
    }
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layered").finish_non_exhaustive()
    }
}

impl App for Layered {
    async fn handle(&self, mut req: Request, conn: &mut Conn) -> Response {
        req.extensions_mut().insert(*conn.info());
        match self.svc.clone().oneshot(req).await {
            Ok(res) => res,
            Err(e) => {
                tracing::error!(error = %e, "layered service failed; answering 500");
                crate::Error::internal().into_response()
            }
        }
    }
}
