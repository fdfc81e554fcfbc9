//! An in-process client that drives an app without a socket.

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};

use crate::{App, Body, Conn, ConnInfo, Request};

/// Sends requests straight into an [`App`], for tests.
///
/// Each request runs on a fresh [`Conn`] whose peer is `127.0.0.1:40000`
/// unless set with [`TestRequest::peer`].
///
/// ```
/// # use kiln::{App, Conn, Request, Response, TestClient, IntoResponse};
/// struct Hello;
/// impl App for Hello {
///     async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response { "hi".into_response() }
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
            .body(Body::empty())
            .map_err(|e| e.to_string());
        TestRequest {
            app: &self.app,
            req,
            info: ConnInfo {
                peer: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 40000))),
                ..ConnInfo::default()
            },
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

    /// Starts a `PUT` request.
    pub fn put(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::PUT, uri)
    }

    /// Starts a `DELETE` request.
    pub fn delete(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::DELETE, uri)
    }

    /// Starts a `PATCH` request.
    pub fn patch(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::PATCH, uri)
    }

    /// Starts a `HEAD` request (the response's body is dropped, as a server would).
    pub fn head(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::HEAD, uri)
    }

    /// Starts an `OPTIONS` request.
    pub fn options(&self, uri: &str) -> TestRequest<'_, A> {
        self.request(Method::OPTIONS, uri)
    }
}

/// A request being built by a [`TestClient`].
#[derive(Debug)]
pub struct TestRequest<'a, A> {
    app: &'a A,
    req: Result<Request, String>,
    info: ConnInfo,
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

    /// Sets the body to `value` serialized as JSON, and `Content-Type:
    /// application/json` (replacing one set before).
    ///
    /// ```
    /// use kiln::prelude::*;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct NewTodo { title: String }
    ///
    /// #[handler]
    /// fn create(Json(todo): Json<NewTodo>) -> String { todo.title }
    ///
    /// chain! {
    ///     struct Todos;
    ///     routes { POST "/todos" => create }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let client = TestClient::new(Todos::new());
    /// let res = client.post("/todos").json(&serde_json::json!({"title": "docs"})).send().await;
    /// assert_eq!(res.text(), "docs");
    /// # });
    /// ```
    ///
    /// # Panics
    /// If `value` fails to serialize (a map with non-string keys, say: a bug in the test).
    #[must_use]
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        if let Ok(req) = &mut self.req {
            let body = serde_json::to_vec(value).expect("test value does not serialize to JSON");
            *req.body_mut() = Body::from(body);
            req.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        self
    }

    /// Sets `Authorization: Bearer <token>` (replacing one set before).
    ///
    /// ```
    /// use kiln::prelude::*;
    /// use kiln::headers::Bearer;
    ///
    /// #[handler]
    /// fn whoami(Header(Bearer(token)): Header<Bearer>) -> String { token }
    ///
    /// chain! {
    ///     struct Api;
    ///     routes { GET "/me" => whoami }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let res = TestClient::new(Api::new()).get("/me").bearer("t0k3n").send().await;
    /// assert_eq!(res.text(), "t0k3n");
    /// # });
    /// ```
    ///
    /// # Panics
    /// If the token is not a valid header value (a control character: a bug in the test).
    #[must_use]
    pub fn bearer(mut self, token: &str) -> Self {
        if let Ok(req) = &mut self.req {
            let value = HeaderValue::try_from(format!("Bearer {token}"))
                .expect("invalid bearer token in test");
            req.headers_mut().insert(header::AUTHORIZATION, value);
        }
        self
    }

    /// Sets the client address the app sees.
    #[must_use]
    pub fn peer(mut self, addr: SocketAddr) -> Self {
        self.info.peer = Some(addr);
        self
    }

    /// Sets the body size limit of body extractors.
    #[must_use]
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.info.body_limit = limit;
        self
    }

    /// Builds the request without sending it.
    ///
    /// # Panics
    /// If the URI given to the client was invalid (a bug in the test).
    pub fn build(self) -> Request {
        self.req.expect("invalid request in test")
    }

    /// Sends the request through the app's pipeline and reads the whole
    /// response body. A `HEAD` response's body is dropped, as a server would.
    ///
    /// # Panics
    /// If the URI given to the client was invalid, or a streaming response
    /// body fails (a bug in the test or the app).
    pub async fn send(self) -> TestResponse {
        let app = self.app;
        let mut conn = Conn::new(self.info);
        let req = self.req.expect("invalid request in test");
        let head = req.method() == Method::HEAD;
        let res = app.handle(req, &mut conn).await;
        let (parts, body) = res.into_parts();
        let body = if head {
            Bytes::new()
        } else {
            body.collect(usize::MAX)
                .await
                .expect("response body stream failed")
        };
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// The response a [`TestClient`] got back, with its body read.
#[derive(Debug)]
pub struct TestResponse {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl TestResponse {
    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A header as a string, if present and valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`.
    ///
    /// ```
    /// use kiln::prelude::*;
    ///
    /// #[handler]
    /// fn show() -> Json<serde_json::Value> { Json(serde_json::json!({"id": 7})) }
    ///
    /// chain! {
    ///     struct Api;
    ///     routes { GET "/todo" => show }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let client = TestClient::new(Api::new());
    /// let todo: serde_json::Value = client.get("/todo").send().await.json();
    /// assert_eq!(todo["id"], 7);
    /// // Errors are problem+json: read them the same way.
    /// let err: serde_json::Value = client.get("/nope").send().await.json();
    /// assert_eq!(err["code"], "not_found");
    /// # });
    /// ```
    ///
    /// # Panics
    /// When the body is not JSON for `T`, with the status and the body's text,
    /// so a failing test shows what the app answered. Use
    /// [`try_json`](TestResponse::try_json) to test for that.
    #[must_use]
    #[track_caller]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(e) => panic!(
                "response body is not JSON for `{}` ({e}); status {}, body: {}",
                std::any::type_name::<T>(),
                self.status,
                self.text()
            ),
        }
    }

    /// The body parsed as JSON into `T`, or why it is not.
    ///
    /// # Errors
    /// When the body is not JSON for `T`.
    pub fn try_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}
