//! An in-process client that drives an app without a socket.

use http::{HeaderName, HeaderValue, Method, StatusCode};

use crate::{App, Body, Request, Response};

/// Sends requests straight into an [`App`], for tests.
///
/// ```
/// # use kiln::{App, Request, Response, TestClient, IntoResponse};
/// struct Hello;
/// impl App for Hello {
///     async fn handle(&self, _req: Request) -> Response { "hi".into_response() }
/// }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = TestClient::new(Hello).get("/").send().await;
/// assert_eq!(res.text(), "hi");
/// # });
/// ```
#[derive(Debug)]
pub struct TestClient<A> {
    app: A,
}

impl<A: App> TestClient<A> {
    /// Wraps an app.
    pub fn new(app: A) -> Self {
        TestClient { app }
    }

    /// The wrapped app.
    pub fn app(&self) -> &A {
        &self.app
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, uri: &str) -> TestRequest<'_, A> {
        let req = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::Empty)
            .map_err(|e| e.to_string());
        TestRequest {
            app: &self.app,
            req,
        }
    }

    /// Starts a `GET` request.
    pub fn get(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::GET, uri)
    }

    /// Starts a `POST` request.
    pub fn post(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::POST, uri)
    }
}

/// A request being built by a [`TestClient`].
#[derive(Debug)]
pub struct TestRequest<'a, A> {
    app: &'a A,
    req: Result<Request, String>,
}

impl<A: App> TestRequest<'_, A> {
    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not a valid header (a bug in the test).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Ok(req) = &mut self.req {
            let name = HeaderName::try_from(name).expect("invalid header name in test");
            let value = HeaderValue::try_from(value).expect("invalid header value in test");
            req.headers_mut().append(name, value);
        }
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        if let Ok(req) = &mut self.req {
            *req.body_mut() = body.into();
        }
        self
    }

    /// Builds the request without sending it.
    ///
    /// # Panics
    /// If the URI given to the client was invalid (a bug in the test).
    pub fn build(self) -> Request {
        self.req.expect("invalid request in test")
    }

    /// Sends the request through the app's pipeline.
    ///
    /// # Panics
    /// If the URI given to the client was invalid (a bug in the test).
    pub async fn send(self) -> TestResponse {
        let app = self.app;
        TestResponse(app.handle(self.build()).await)
    }
}

/// The response a [`TestClient`] got back.
#[derive(Debug)]
pub struct TestResponse(pub Response);

impl TestResponse {
    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.0.status()
    }

    /// A header as a string, if present and valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.0.body().as_bytes()).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// When the body is not valid JSON for `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.0.body().as_bytes())
    }
}
