//! Per-route limits, declared in `chain!` with `#[limit(..)]` on a route or a
//! scope, and read by the body extractors and the built-ins.
//!
//! A declaration is a constant: `chain!` evaluates each route's limits at
//! compile time, so a nonsensical one (a body limit of 0, a quota of 0) is a
//! compile error at the route, and a request carries only a `&'static`.

use std::convert::Infallible;

use crate::Request;
use crate::builtin::Quota;
use crate::extract::{FromRequestParts, RequestCx};

/// What a route declared with `#[limit(..)]`, and where it sits among the
/// app's routes (the rate limiter keeps one bucket set per limited route).
///
/// Extract it in a middleware to follow the route's declaration:
///
/// ```
/// use kiln::prelude::*;
/// use kiln::RouteLimits;
///
/// #[handler]
/// fn limit(limits: RouteLimits) -> String {
///     format!("{}", limits.body_limit())
/// }
///
/// chain! {
///     struct App;
///     routes {
///         #[limit(body = 64 * 1024)]
///         POST "/small" => limit,
///         POST "/default" => limit,
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new());
/// assert_eq!(client.post("/small").send().await.text(), "65536");
/// // Without a declaration, the server's limit (`ServeConfig::body_limit`) applies.
/// assert_eq!(client.post("/default").send().await.text(), kiln::DEFAULT_BODY_LIMIT.to_string());
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteLimits {
    body: Option<usize>,
    /// The server's limit, filled in when extracted.
    server_body: usize,
    rate: RouteRate,
    route: u16,
    routes: u16,
}

/// A route's rate-limit declaration (`#[limit(rate = ..)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRate {
    /// No declaration: the limiter's default quota.
    Default,
    /// `rate = exempt`: not counted.
    Exempt,
    /// `rate = Quota::..`: its own quota, counted apart from other routes.
    Quota(Quota),
}

impl RouteLimits {
    /// No declaration: what unmatched requests and hand-built contexts carry.
    pub const NONE: RouteLimits = RouteLimits {
        body: None,
        server_body: crate::DEFAULT_BODY_LIMIT,
        rate: RouteRate::Default,
        route: 0,
        routes: 0,
    };

    /// Route `route` of `routes`, as `chain!` declares it. Evaluated in a
    /// constant: a panic here is a compile error at the route.
    #[doc(hidden)]
    #[must_use]
    pub const fn __declare(route: u16, routes: u16, body: Option<usize>, rate: RouteRate) -> Self {
        if let Some(0) = body {
            panic!("`#[limit(body = 0)]` rejects every body; give at least 1 byte");
        }
        if let RouteRate::Quota(q) = rate {
            q.check_const();
        }
        RouteLimits {
            body,
            server_body: crate::DEFAULT_BODY_LIMIT,
            rate,
            route,
            routes,
        }
    }

    /// The body limit that applies: the route's `#[limit(body = ..)]`, else
    /// the server's ([`ServeConfig::body_limit`](crate::ServeConfig::body_limit)).
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.body.unwrap_or(self.server_body)
    }

    /// The route's own body limit, if it declared one.
    #[must_use]
    pub fn declared_body(&self) -> Option<usize> {
        self.body
    }

    /// The route's rate-limit declaration.
    #[must_use]
    pub fn rate(&self) -> RouteRate {
        self.rate
    }

    /// The route's index among the app's routes, and how many there are.
    #[must_use]
    pub fn route_index(&self) -> (usize, usize) {
        (usize::from(self.route), usize::from(self.routes))
    }
}

impl FromRequestParts for RouteLimits {
    type Rejection = Infallible;

    fn from_request_parts(_: &Request, cx: &RequestCx<'_>) -> Result<Self, Infallible> {
        Ok(RouteLimits {
            server_body: cx.conn().body_limit,
            ..*cx.limits()
        })
    }
}
