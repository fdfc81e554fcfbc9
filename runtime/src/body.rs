//! The body type of kiln requests and responses.
//!
//! One type for both directions: a request body is usually a stream from the
//! connection, a response body usually bytes in memory. Keeping the common
//! cases as plain enum variants (no boxing) is what lets a handler return a
//! fixed response without touching the heap.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;

/// The error type of streaming bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

type DynBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>;

/// A request or response body.
///
/// In-memory bodies (`Body::empty()`, `&'static str`, `String`, `Vec<u8>`,
/// `Bytes`) are stored inline; streams ([`Body::from_stream`], [`Body::wrap`],
/// and the body of a request served by [`serve`](crate::serve)) are boxed.
#[derive(Default)]
pub struct Body(Kind);

#[derive(Default)]
enum Kind {
    #[default]
    Empty,
    Static(&'static [u8]),
    Bytes(Bytes),
    /// `SyncWrapper` makes the body `Sync` (only `&mut` access is possible),
    /// so `&Request` can be held across an `.await` in a `Send` future.
    Stream(SyncWrapper<DynBody>),
}

impl Body {
    /// An empty body.
    #[must_use]
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// A body of bytes that live for the whole program; never allocates.
    #[must_use]
    pub const fn from_static(bytes: &'static [u8]) -> Self {
        Body(Kind::Static(bytes))
    }

    /// Wraps any [`http_body::Body`] (a hyper `Incoming`, a tower-http body, ...).
    pub fn wrap<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body(Kind::Stream(SyncWrapper::new(Box::pin(MapErr {
            inner: body,
        }))))
    }

    /// A streaming body from a [`futures_core::Stream`] of byte chunks.
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Body::wrap(StreamBody { stream })
    }

    /// The bytes of a body held in memory, without copying; `None` for a stream.
    #[must_use]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Kind::Empty => Some(&[]),
            Kind::Static(b) => Some(b),
            Kind::Bytes(b) => Some(b),
            Kind::Stream(_) => None,
        }
    }

    /// The bytes of a body held in memory as a shared handle (no copy);
    /// `None` for a stream.
    #[cfg_attr(not(feature = "cache"), allow(dead_code))]
    pub(crate) fn shared_bytes(&self) -> Option<Bytes> {
        match &self.0 {
            Kind::Empty => Some(Bytes::new()),
            Kind::Static(b) => Some(Bytes::from_static(b)),
            Kind::Bytes(b) => Some(b.clone()),
            Kind::Stream(_) => None,
        }
    }

    /// Whether this body is a stream (its length is not known in advance).
    #[must_use]
    pub fn is_stream(&self) -> bool {
        matches!(self.0, Kind::Stream(_))
    }

    /// Reads the whole body into memory, failing once more than `limit` bytes arrive.
    ///
    /// # Errors
    /// [`CollectError::TooLarge`] past the limit, [`CollectError::Read`] when the
    /// stream fails (the client went away, say).
    pub async fn collect(self, limit: usize) -> Result<Bytes, CollectError> {
        let mut stream = match self.0 {
            Kind::Empty => return Ok(Bytes::new()),
            Kind::Static(b) => return fits(Bytes::from_static(b), limit),
            Kind::Bytes(b) => return fits(b, limit),
            Kind::Stream(s) => s.into_inner(),
        };
        if stream.size_hint().lower() > limit as u64 {
            return Err(CollectError::TooLarge { limit });
        }
        let mut first: Option<Bytes> = None;
        let mut buf: Vec<u8> = Vec::new();
        let mut len = 0usize;
        while let Some(frame) = std::future::poll_fn(|cx| stream.as_mut().poll_frame(cx)).await {
            let frame = frame.map_err(CollectError::Read)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            len += data.len();
            if len > limit {
                return Err(CollectError::TooLarge { limit });
            }
            // One chunk (the common case for small bodies) is kept without copying.
            match first.take() {
                None if buf.is_empty() => first = Some(data),
                Some(f) => {
                    buf.extend_from_slice(&f);
                    buf.extend_from_slice(&data);
                }
                None => buf.extend_from_slice(&data),
            }
        }
        Ok(first.unwrap_or_else(|| Bytes::from(buf)))
    }
}

fn fits(b: Bytes, limit: usize) -> Result<Bytes, CollectError> {
    if b.len() > limit {
        Err(CollectError::TooLarge { limit })
    } else {
        Ok(b)
    }
}

/// Why [`Body::collect`] failed.
#[derive(Debug)]
pub enum CollectError {
    /// The body is longer than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading the stream failed.
    Read(BoxError),
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectError::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            CollectError::Read(e) => write!(f, "failed to read body: {e}"),
        }
    }
}

impl std::error::Error for CollectError {}

/// A request body the client sent too slowly: the server's body read timeout
/// ([`ServeConfig::body_read_timeout`](crate::ServeConfig::body_read_timeout)
/// between two chunks, or
/// [`ServeConfig::body_total_timeout`](crate::ServeConfig::body_total_timeout)
/// for the whole body) went by while a handler waited for it.
///
/// It is the error a served request's body stream yields; the body
/// extractors answer it with `408 Request Timeout` (code `body_timeout`), and
/// `kiln::Error::from` does the same for handlers that read the stream
/// themselves. The connection is closed after the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyTimeout {
    /// No chunk arrived within this long.
    BetweenChunks(std::time::Duration),
    /// The body did not end within this long of the first read.
    Total(std::time::Duration),
}

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyTimeout::BetweenChunks(d) => {
                write!(f, "no part of the request body arrived within {d:?}")
            }
            BodyTimeout::Total(d) => write!(f, "the request body did not arrive within {d:?}"),
        }
    }
}

impl std::error::Error for BodyTimeout {}

impl From<BodyTimeout> for crate::Error {
    fn from(e: BodyTimeout) -> Self {
        crate::Error::new(
            http::StatusCode::REQUEST_TIMEOUT,
            crate::error::code::BODY_TIMEOUT,
        )
        .message(e.to_string())
        .header(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        )
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Static(b) => write!(f, "Body::Static({} bytes)", b.len()),
            Kind::Bytes(b) => write!(f, "Body::Bytes({} bytes)", b.len()),
            Kind::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let data = match std::mem::take(&mut self.0) {
            Kind::Empty => return Poll::Ready(None),
            Kind::Static(b) => Bytes::from_static(b),
            Kind::Bytes(b) => b,
            Kind::Stream(mut s) => {
                let poll = s.get_mut().as_mut().poll_frame(cx);
                self.0 = Kind::Stream(s);
                return poll;
            }
        };
        if data.is_empty() {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Static(b) => b.is_empty(),
            Kind::Bytes(b) => b.is_empty(),
            Kind::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Stream(_) => SizeHint::default(),
            _ => SizeHint::with_exact(self.as_bytes().map_or(0, |b| b.len() as u64)),
        }
    }
}

pin_project_lite::pin_project! {
    /// Adapts a body's error type to [`BoxError`].
    struct MapErr<B> { #[pin] inner: B }
}

impl<B> http_body::Body for MapErr<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.project()
            .inner
            .poll_frame(cx)
            .map(|o| o.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project_lite::pin_project! {
    /// Adapts a `Stream` of chunks to a body.
    struct StreamBody<S> { #[pin] stream: S }
}

impl<S, E> http_body::Body for StreamBody<S>
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.project()
            .stream
            .poll_next(cx)
            .map(|o| o.map(|r| r.map(Frame::data).map_err(Into::into)))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body(Kind::Static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(b: &'static [u8]) -> Self {
        Body(Kind::Static(b))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(Kind::Bytes(Bytes::from(s)))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(Kind::Bytes(Bytes::from(v)))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(Kind::Bytes(b))
    }
}
