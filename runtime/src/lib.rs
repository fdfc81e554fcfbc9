//! kiln: a web framework whose middleware chains and dependency injection are
//! generated at compile time.
//!
//! Annotate middleware with [`middleware`] and handlers with [`handler`], list
//! them with singletons and routes in one [`chain!`], and get one flat,
//! monomorphized pipeline per route. A missing dependency is a compile error.
//!
//! ```
//! use kiln::prelude::*;
//!
//! struct Greeting(&'static str);
//!
//! /// Rejects requests without an `x-key` header.
//! #[middleware(priority = 10, pre_route)]
//! fn require_key(req: &Request) -> Result<(), StatusCode> {
//!     if req.headers().contains_key("x-key") { Ok(()) } else { Err(StatusCode::UNAUTHORIZED) }
//! }
//!
//! #[handler]
//! fn hello(greeting: &Greeting) -> &'static str {
//!     greeting.0
//! }
//!
//! chain! {
//!     struct Demo;
//!     singletons { greeting: Greeting }
//!     middleware { require_key }
//!     routes { GET "/" => hello }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Demo::new(DemoSingletons { greeting: Greeting("hello") }));
//! assert_eq!(client.get("/").send().await.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(client.get("/").header("x-key", "1").send().await.text(), "hello");
//! # });
//! ```
//!
//! # Where to read on
//!
//! - The macros, each with every argument or section and an example of it:
//!   [`chain!`], [`#[middleware]`](middleware), [`#[handler]`](handler),
//!   [`#[provider]`](provider).
//! - The [`guide`], one page per topic: [ordering and short-circuits](guide::semantics),
//!   [dependency injection](guide::di), [routing and extractors](guide::routing),
//!   [`wrap` middleware](guide::wrap), [serving, tower and testing](guide::serving),
//!   [`describe()` and statistics](guide::introspection),
//!   [built-in middleware](guide::builtin), [errors](guide::errors).
//! - The database, `kiln::db` (features `sqlite`, `postgres`): a `Db`
//!   singleton and request-scoped transactions that commit or roll back by
//!   themselves.
//!
//! # Files, streams and uploads (optional features)
//!
//! | feature | module | what |
//! |---|---|---|
//! | `fs` | `kiln::fs` | static files from a directory, a single file or embedded in the binary: `ETag`, ranges, conditional requests, precompressed variants |
//! | `fs-build` | `kiln::fs::build` | the build-script helper that embeds a directory with build-time ETags and compressed variants |
//! | `compression` | `kiln::builtin::Compression` | gzip, brotli and zstd response compression and bounded request decompression |
//! | `multipart` | `kiln::multipart` | a streaming `Multipart` extractor with limits, allow-lists, sanitized file names and self-deleting temporary files |
//! | `sse` | `kiln::sse` | `Sse` responses from any `Stream` of events, keep-alive, `Last-Event-ID` |
//! | `ws` | `kiln::ws` | `WebSocketUpgrade` and `WebSocket` over hyper's upgrade (tokio-tungstenite) |
//! | `cache` | `kiln::cache`, `kiln::builtin::ResponseCache` | an in-process typed `Cache` (moka: TTL, size bound, single-flight loads, tags) and whole-response caching by HTTP's rules |
//! | `cache` + `redis` | `kiln::cache::RedisCache` | the typed cache every instance shares, in Redis (JSON values, TTL, tags, bounded timeouts) |

#![forbid(unsafe_code)]

// `#[middleware]` expansions name `::kiln::...`; let them resolve inside this crate too.
extern crate self as kiln;

mod body;
pub mod builtin;
#[cfg(feature = "cache")]
pub mod cache;
mod checks;
#[cfg(any(feature = "compression", feature = "fs-build"))]
mod codec;
mod conn;
#[cfg(any(feature = "fs", feature = "fs-build", feature = "compression"))]
mod content_coding;
#[cfg(feature = "db")]
pub mod db;
pub mod describe;
pub mod error;
mod extract;
mod finish;
#[cfg(any(feature = "fs", feature = "fs-build"))]
pub mod fs;
pub mod guide;
mod limits;
#[cfg(feature = "multipart")]
pub mod multipart;
mod next;
mod response;
mod routing;
mod serve;
#[cfg(feature = "sse")]
pub mod sse;
pub mod stats;
#[cfg(feature = "tasks")]
pub mod tasks;
mod test_client;
mod tower;
#[cfg(feature = "validate")]
pub mod validate;
#[cfg(feature = "ws")]
pub mod ws;

use std::future::Future;

pub use self::tower::{IntoService, Layered};
pub use body::BodyTimeout;
pub use body::{Body, BoxError, CollectError};
pub use bumpalo::Bump;
pub use conn::{Conn, ConnInfo, DEFAULT_BODY_LIMIT};
#[cfg(any(feature = "fs", feature = "fs-build", feature = "compression"))]
pub use content_coding::ContentCoding;
pub use error::{Error, FieldError};
pub use extract::LoosePath;
pub use extract::{
    Extracting, FromRequest, FromRequestParts, Path, PeerAddr, Query, RawQuery, RequestCx,
};
pub use extract::{Form, Header, TypedHeader};
pub use finish::Finish;
pub use http;
pub use limits::{RouteLimits, RouteRate};
pub use next::Next;
pub use response::Redirect;
pub use response::{IntoResponse, Json};
pub use routing::{MAX_PARAMS, PathParams, RoutePattern};
pub use serve::{Config as ServeConfig, Server, serve, shutdown_signal};
pub use test_client::{TestClient, TestRequest, TestResponse};
#[cfg(feature = "jemalloc")]
/// jemalloc as a global allocator (feature `jemalloc`). A library never
/// picks the allocator for its users: opt in with one line in your binary,
/// `#[global_allocator] static GLOBAL: kiln::Jemalloc = kiln::Jemalloc;`.
pub use tikv_jemallocator::Jemalloc;

#[doc(inline)]
#[doc = include_str!("docs/macros/chain.md")]
pub use kiln_macros::chain;
#[doc(inline)]
#[doc = include_str!("docs/macros/handler.md")]
pub use kiln_macros::handler;
#[doc(inline)]
#[doc = include_str!("docs/macros/middleware.md")]
pub use kiln_macros::middleware;
#[doc(inline)]
#[doc = include_str!("docs/macros/provider.md")]
pub use kiln_macros::provider;

/// The request type seen by middleware and handlers.
pub type Request = http::Request<Body>;
/// The response type every pipeline produces.
pub type Response = http::Response<Body>;

/// An application: something that turns a request into a response.
///
/// `chain!` implements it for the app type it declares.
pub trait App: Send + Sync + 'static {
    /// Runs the request through the pipeline. `conn` is the connection it
    /// arrived on (its facts and its arena); the server resets the arena after
    /// the response is produced.
    fn handle<'a>(
        &'a self,
        req: Request,
        conn: &'a mut Conn,
    ) -> impl Future<Output = Response> + Send + 'a;

    /// This app as a [`tower::Service`](::tower::Service), e.g. to mount it in
    /// an axum router; see [`IntoService`].
    fn into_service(self) -> IntoService<Self>
    where
        Self: Sized,
    {
        IntoService::new(self)
    }
}

/// Metadata every middleware declared with [`middleware`] carries.
pub trait Middleware {
    /// The name shown in diagnostics and descriptions.
    const NAME: &'static str;
    /// Lower runs earlier on the way in and later on the way out.
    const PRIORITY: i32;
}

/// Typed headers for [`Header`]: `Header<UserAgent>`, `Header<Bearer>`, ...
pub mod headers {
    pub use crate::extract::{Bearer, ContentLength, ContentType, UserAgent};
}

/// The common imports.
pub mod prelude {
    pub use crate::http::{Method, StatusCode};
    pub use crate::{
        Body, Finish, FromRequest, FromRequestParts, IntoResponse, Json, Next, Path, PeerAddr,
        Query, Request, Response, RoutePattern, TestClient, chain, handler, middleware, provider,
    };
    pub use crate::{Error, Form, Header, Redirect};
}

#[doc(hidden)]
pub mod __private {
    //! Items generated code names. Not public API.
    pub use crate::checks::{HasSingleton, lend, lend_mut, send};
    pub use crate::finish::must_finish;
    pub use crate::routing::Router;
    #[cfg(feature = "validate")]
    pub use crate::validate::valid_with;
    pub use crate::{
        App, Bump, Conn, ConnInfo, Finish, FromRequest, IntoResponse, Middleware, Next, PathParams,
        Request, RequestCx, Response, RouteLimits, RouteRate,
    };
    pub use http::{Method, StatusCode};
    pub use kiln_macros::__chain_impl as chain_impl;

    pub use crate::describe;
    pub use crate::stats::{ChainStats, Recorder, Stats};
    pub mod stats {
        //! Autoref dispatch for singletons that report counters.
        pub use crate::stats::{Ignore, Probe, Report};
    }

    pub use crate::error::rerender;

    /// The response for a path that no route matches: a `404` [`Error`](crate::Error).
    #[must_use]
    pub fn not_found() -> Response {
        crate::Error::not_found()
            .message("no route matches this path")
            .into_response()
    }

    /// The response for a known path with the wrong method: a `405`
    /// [`Error`](crate::Error) carrying `Allow`.
    #[must_use]
    pub fn method_not_allowed(allow: &'static str) -> Response {
        crate::Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            crate::error::code::METHOD_NOT_ALLOWED,
        )
        .message("this path does not accept the method; `Allow` lists those it does")
        .header(http::header::ALLOW, http::HeaderValue::from_static(allow))
        .into_response()
    }
}

/// The empty app answers 404 to everything; handy for building test requests.
impl App for () {
    async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response {
        __private::not_found()
    }
}
