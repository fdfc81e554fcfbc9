//! Extractors: values a handler or pre hook takes by value, built from the request.
//!
//! Two traits: [`FromRequestParts`] for values read from the request head
//! (synchronous, any number per handler), and [`FromRequest`] for values that
//! may consume the body (asynchronous). Every `FromRequestParts` is a
//! `FromRequest`, and generated code only ever calls `FromRequest`.

mod body;
mod header;
mod path;
mod path_decode;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderMap, Method, StatusCode, Uri};

use crate::conn::ConnInfo;
use crate::error::{Error, code, from_serde_path};
use crate::limits::RouteLimits;
use crate::routing::{PathParams, RoutePattern};
use crate::{IntoResponse, Request};

pub use body::Form;
#[cfg(feature = "multipart")]
pub(crate) use body::take_limited;
pub(crate) use body::too_large;
pub use header::{Bearer, ContentLength, ContentType, Header, TypedHeader, UserAgent};
pub use path::{LoosePath, Path};

/// What an extractor can see besides the request: the connection, the matched
/// route and its path parameters.
#[derive(Debug, Clone, Copy)]
pub struct RequestCx<'a> {
    info: &'a ConnInfo,
    params: &'a PathParams,
    route: Option<&'static str>,
    limits: &'static RouteLimits,
}

impl<'a> RequestCx<'a> {
    /// A context; generated code builds one per route.
    #[must_use]
    pub fn new(info: &'a ConnInfo, params: &'a PathParams, route: Option<&'static str>) -> Self {
        RequestCx {
            info,
            params,
            route,
            limits: &RouteLimits::NONE,
        }
    }

    /// The same context for a route that declared `#[limit(..)]`; generated
    /// code passes each route's constant.
    #[must_use]
    pub fn with_limits(mut self, limits: &'static RouteLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The route's declared limits ([`RouteLimits::NONE`] when it declared none).
    #[must_use]
    pub fn limits(&self) -> &'static RouteLimits {
        self.limits
    }

    /// The body limit that applies to this request: the route's
    /// `#[limit(body = ..)]`, else the server's.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.limits.declared_body().unwrap_or(self.info.body_limit)
    }

    /// The connection's facts (peer address, body limit).
    #[must_use]
    pub fn conn(&self) -> &'a ConnInfo {
        self.info
    }

    /// The parameters the route pattern matched.
    #[must_use]
    pub fn params(&self) -> &'a PathParams {
        self.params
    }

    /// The matched route pattern; `None` when no route matched.
    #[must_use]
    pub fn route(&self) -> Option<&'static str> {
        self.route
    }
}

/// A value built from the request head (method, URI, headers, path
/// parameters, connection facts), without touching the body.
///
/// Implement it for your own extractors; a failed extraction's `Rejection`
/// becomes the response and short-circuits the chain.
///
/// ```
/// use kiln::{Error, FromRequestParts, Request, RequestCx, http::StatusCode};
///
/// /// The `x-tenant` header, required.
/// struct Tenant(String);
///
/// impl FromRequestParts for Tenant {
///     type Rejection = Error;
///     fn from_request_parts(req: &Request, _cx: &RequestCx<'_>) -> Result<Self, Error> {
///         req.headers()
///             .get("x-tenant")
///             .and_then(|v| v.to_str().ok())
///             .map(|t| Tenant(t.to_owned()))
///             .ok_or_else(|| {
///                 Error::new(StatusCode::BAD_REQUEST, "missing_tenant")
///                     .message("send the tenant in `x-tenant`")
///             })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither provided by this `chain!` nor an extractor",
    label = "not injectable and not an extractor",
    note = "take `&{Self}` and register a singleton or a middleware that returns `{Self}`, or implement `kiln::FromRequestParts` (or `kiln::FromRequest`) for it"
)]
pub trait FromRequestParts: Sized + Send {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse + Send;

    /// Builds the value, or returns the response to send instead.
    ///
    /// # Errors
    /// A response (usually a 4xx) when the request does not carry the value.
    fn from_request_parts(req: &Request, cx: &RequestCx<'_>) -> Result<Self, Self::Rejection>;
}

/// A value a handler takes by value, built from the request, possibly by
/// reading its body (`Json<T>`, `Bytes`, ...).
///
/// A by-value parameter that the `chain!` does not provide is extracted
/// through this trait. Only one parameter per handler may consume the body;
/// a second one sees it already taken.
///
/// Every [`FromRequestParts`] is a `FromRequest` whose [`Extracting`] is
/// ready at once (no allocation). An extractor that must wait (for the body)
/// returns [`Extracting::future`], which boxes its future: one allocation,
/// next to the body buffer it reads anyway. Returning a concrete type (not an
/// `impl Future`) is what lets generated code extract into a local before it
/// knows the local's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither provided by this `chain!` nor an extractor",
    label = "not injectable and not an extractor",
    note = "take `&{Self}` and register a singleton or a middleware that returns `{Self}`, or implement `kiln::FromRequestParts` (or `kiln::FromRequest`) for it",
    note = "`Json<T>`, `Form<T>`, `Query<T>` and `Path<T>` extract any `T: serde::Deserialize + Send + 'static`: add `#[derive(serde::Deserialize)]` to `T`"
)]
pub trait FromRequest: Sized + Send {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse + Send;

    /// Builds the value, or returns the response to send instead.
    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self>;
}

impl<T: FromRequestParts> FromRequest for T {
    type Rejection = T::Rejection;

    #[inline]
    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        Extracting::ready(T::from_request_parts(req, cx))
    }
}

type Extracted<T> = Result<T, <T as FromRequest>::Rejection>;

/// The future of a [`FromRequest`] extraction: a result ready at once, or a
/// boxed future.
#[must_use = "futures do nothing unless awaited"]
pub struct Extracting<'a, T: FromRequest>(State<'a, T>);

enum State<'a, T: FromRequest> {
    Ready(Option<Extracted<T>>),
    Waiting(Pin<Box<dyn Future<Output = Extracted<T>> + Send + 'a>>),
}

impl<'a, T: FromRequest> Extracting<'a, T> {
    /// An extraction that is already done.
    #[inline]
    pub fn ready(result: Extracted<T>) -> Self {
        Extracting(State::Ready(Some(result)))
    }

    /// An extraction that has to wait, e.g. for the body.
    pub fn future(fut: impl Future<Output = Extracted<T>> + Send + 'a) -> Self {
        Extracting(State::Waiting(Box::pin(fut)))
    }

    /// Turns this extraction's result into another extractor's, for
    /// extractors that wrap another (`Valid<Json<T>>`, say). A ready result
    /// stays ready (no allocation); a waiting one is boxed once more.
    ///
    /// # Panics
    /// If this extraction was already polled to completion (a bug in the caller).
    pub fn map<U: FromRequest>(
        self,
        f: impl FnOnce(Extracted<T>) -> Extracted<U> + Send + 'a,
    ) -> Extracting<'a, U>
    where
        T: 'a,
    {
        match self.0 {
            State::Ready(r) => {
                Extracting::ready(f(r.expect("`Extracting` mapped after completion")))
            }
            State::Waiting(fut) => Extracting::future(async move { f(fut.await) }),
        }
    }
}

// Nothing is ever pinned in place: a ready result is moved out, a waiting
// future is pinned in its box.
impl<T: FromRequest> Unpin for Extracting<'_, T> {}

impl<T: FromRequest> Future for Extracting<'_, T> {
    type Output = Extracted<T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Extracted<T>> {
        match &mut self.get_mut().0 {
            State::Ready(r) => Poll::Ready(r.take().expect("`Extracting` polled after completion")),
            State::Waiting(f) => f.as_mut().poll(cx),
        }
    }
}

impl FromRequestParts for Method {
    type Rejection = Infallible;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(req.method().clone())
    }
}

impl FromRequestParts for Uri {
    type Rejection = Infallible;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(req.uri().clone())
    }
}

impl FromRequestParts for HeaderMap {
    type Rejection = Infallible;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(req.headers().clone())
    }
}

impl FromRequestParts for RoutePattern {
    type Rejection = Infallible;

    fn from_request_parts(_: &Request, cx: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(RoutePattern(cx.route))
    }
}

/// The client's socket address.
///
/// Behind [`serve`](crate::serve) it is always known; elsewhere (an app
/// mounted as a tower service without connection info) extracting it is a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl FromRequestParts for PeerAddr {
    type Rejection = Error;

    fn from_request_parts(_: &Request, cx: &RequestCx<'_>) -> Result<Self, Error> {
        cx.info.peer.map(PeerAddr).ok_or_else(|| {
            tracing::error!(
                "peer address unknown: the app is not served by kiln::serve; answering 500"
            );
            Error::internal()
        })
    }
}

/// The raw query string (without the `?`), empty when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawQuery(pub String);

impl FromRequestParts for RawQuery {
    type Rejection = Infallible;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(RawQuery(req.uri().query().unwrap_or("").to_owned()))
    }
}

/// The query string deserialized into `T` (serde), e.g. `Query<Page>` for `?page=2`.
///
/// A query that does not fit `T` is a `400 Bad Request` [`Error`] (code
/// `invalid_query`) that names the field (its pointer is `/page` for
/// `?page=x`) and the reason.
///
/// ```
/// # use kiln::{FromRequestParts, Query, RequestCx, TestClient, ConnInfo, PathParams};
/// #[derive(serde::Deserialize)]
/// struct Page { page: u32 }
/// let req = TestClient::new(()).get("/?page=2").build();
/// let info = ConnInfo::default();
/// let cx = RequestCx::new(&info, &PathParams::EMPTY, None);
/// let Ok(Query(p)) = Query::<Page>::from_request_parts(&req, &cx) else { panic!() };
/// assert_eq!(p.page, 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = Error;

    fn from_request_parts(req: &Request, _: &RequestCx<'_>) -> Result<Self, Error> {
        from_urlencoded(req.uri().query().unwrap_or("").as_bytes())
            .map(Query)
            .map_err(|e| {
                e.into_error(
                    StatusCode::BAD_REQUEST,
                    code::INVALID_QUERY,
                    "invalid query string",
                )
            })
    }
}

/// Why URL-encoded data did not deserialize: the field's pointer, if any,
/// and the message.
pub(crate) struct UrlencodedError {
    pointer: Option<String>,
    message: String,
}

impl UrlencodedError {
    /// The [`Error`]: `{what}: field `{name}`: {reason}`, with the field's pointer.
    pub(crate) fn into_error(self, status: StatusCode, code: &'static str, what: &str) -> Error {
        let err = Error::new(status, code).message(format!("{what}: {}", self.message));
        match self.pointer {
            Some(p) => err.field(p),
            None => err,
        }
    }
}

/// Deserializes `application/x-www-form-urlencoded` data (a query string or a
/// form body); the error names the field that failed.
pub(crate) fn from_urlencoded<T: serde::de::DeserializeOwned>(
    input: &[u8],
) -> Result<T, UrlencodedError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(input));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = from_serde_path(e.path());
        let path = e.path().to_string();
        let message = if path == "." {
            e.into_inner().to_string()
        } else {
            format!("field `{path}`: {}", e.into_inner())
        };
        UrlencodedError { pointer, message }
    })
}
