//! Extractors: values a handler takes by value, built from the request.

use std::convert::Infallible;

use crate::{IntoResponse, Request};

/// A value a handler can take by value, built from the request.
///
/// A parameter of a handler or middleware that is taken by value and is not
/// provided by the `chain!` is extracted through this trait; if extraction
/// fails, the error response short-circuits the chain.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither provided by this `chain!` nor an extractor",
    label = "not injectable and not an extractor",
    note = "take `&{Self}` and register a singleton or a middleware that returns `{Self}`, or implement `kiln::FromRequest` for it"
)]
pub trait FromRequest: Sized {
    /// The error, sent as the response when extraction fails.
    type Rejection: IntoResponse;

    /// Builds the value from the request, or returns the response to send instead.
    ///
    /// # Errors
    /// A response (usually a 4xx) when the request does not carry the value.
    fn from_request(req: &Request) -> Result<Self, Self::Rejection>;
}

impl FromRequest for http::Method {
    type Rejection = Infallible;

    fn from_request(req: &Request) -> Result<Self, Self::Rejection> {
        Ok(req.method().clone())
    }
}

impl FromRequest for http::Uri {
    type Rejection = Infallible;

    fn from_request(req: &Request) -> Result<Self, Self::Rejection> {
        Ok(req.uri().clone())
    }
}

/// The raw query string (without the `?`), empty when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawQuery(pub String);

impl FromRequest for RawQuery {
    type Rejection = Infallible;

    fn from_request(req: &Request) -> Result<Self, Self::Rejection> {
        Ok(RawQuery(req.uri().query().unwrap_or("").to_owned()))
    }
}

/// The query string deserialized into `T` (serde), e.g. `Query<Page>` for `?page=2`.
///
/// A query that does not fit `T` is a `400 Bad Request` whose body says why.
///
/// ```
/// # use kiln::{FromRequest, Query, TestClient};
/// #[derive(serde::Deserialize)]
/// struct Page { page: u32 }
/// let req = TestClient::new(()).get("/?page=2").build();
/// let Ok(Query(p)) = Query::<Page>::from_request(&req) else { panic!() };
/// assert_eq!(p.page, 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest for Query<T> {
    type Rejection = (http::StatusCode, String);

    fn from_request(req: &Request) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(req.uri().query().unwrap_or(""))
            .map(Query)
            .map_err(|e| {
                (
                    http::StatusCode::BAD_REQUEST,
                    format!("invalid query string: {e}"),
                )
            })
    }
}
