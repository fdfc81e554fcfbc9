//! Uploads: a streaming `multipart/form-data` extractor (feature `multipart`).
//!
//! [`Multipart`] reads a form field by field as the bytes arrive (on
//! [multer](https://docs.rs/multer)); nothing is buffered beyond the chunk at
//! hand, so memory stays flat however large the upload. A [`Field`] is read
//! in chunks, whole ([`Field::bytes`], [`Field::text`]), into a temporary file
//! that deletes itself unless kept ([`Field::save_temp`]) or into any
//! `AsyncWrite` sink ([`Field::save_to`]). A [`MultipartConfig`] sets the
//! rules: a limit for the whole form and for each field, an allow-list of
//! field names, accepted content types; breaking one is a precise 4xx
//! [`Error`] that names the limit or the field (see [Errors](#errors)).
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::multipart::{Multipart, MultipartConfig};
//!
//! #[handler]
//! async fn upload(form: Multipart, rules: &MultipartConfig) -> Result<String, Error> {
//!     let mut form = form.with_config(rules);
//!     let mut report = String::new();
//!     while let Some(field) = form.next_field().await? {
//!         let name = field.name().to_owned();
//!         if field.raw_file_name().is_some() {
//!             let file = field.save_temp().await?; // deleted on drop unless persisted
//!             report += &format!("{name}: {} ({} bytes)\n", file.file_name().unwrap_or("?"), file.len());
//!         } else {
//!             report += &format!("{name} = {}\n", field.text().await?);
//!         }
//!     }
//!     Ok(report)
//! }
//!
//! chain! {
//!     struct Uploads;
//!     singletons { rules: MultipartConfig }
//!     routes { POST "/upload" => upload }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let rules = MultipartConfig::new().allow_fields(["title", "doc"]).limit_for("doc", 1 << 20);
//! let client = TestClient::new(Uploads::new(UploadsSingletons { rules }));
//! let body = "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nminutes\r\n\
//!             --XX\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"../../etc/notes.txt\"\r\n\
//!             Content-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n";
//! let res = client.post("/upload").header("content-type", "multipart/form-data; boundary=XX")
//!     .body(body).send().await;
//! assert_eq!(res.text(), "title = minutes\ndoc: notes.txt (5 bytes)\n");
//!
//! let body = "--XX\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XX--\r\n";
//! let res = client.post("/upload").header("content-type", "multipart/form-data; boundary=XX")
//!     .body(body).send().await;
//! assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
//! let problem: serde_json::Value = res.json();
//! assert_eq!((problem["code"].as_str(), problem["pointer"].as_str()), (Some("field_not_allowed"), Some("/other")));
//! # });
//! ```
//!
//! # Safety of client file names
//!
//! [`Field::file_name`] is the client's name made safe: one path component,
//! no `..`, separators, NUL, control or bidi characters, no Windows device
//! names, at most 255 bytes. It is safe to join to a directory, but two
//! uploads may carry the same name: choose the stored name yourself when that
//! matters. [`Field::raw_file_name`] is what the client sent, for logs.
//!
//! # Errors
//!
//! Every failure is a [`kiln::Error`](crate::Error) (problem+json unless the
//! app renders its own format); one about a field has the field's name as
//! its pointer (`/doc`).
//!
//! | cause | status | code |
//! |---|---|---|
//! | not `multipart/form-data` | 415 | `unsupported_media_type` |
//! | no boundary, a malformed form, a field without a name | 400 | `invalid_multipart` |
//! | a body cut short (the client went away), a text field that is not UTF-8 | 400 | `invalid_body` |
//! | a field not in [`allow_fields`](MultipartConfig::allow_fields) | 422 | `field_not_allowed` |
//! | a field over its limit, the form over the multipart or the server limit (or decoded past `Compression`'s limit), too many fields | 413, naming the limit | `payload_too_large` |
//! | a content type that [`accept`](MultipartConfig::accept) does not list | 415 | `unsupported_media_type` |
//! | the temporary file or the sink cannot be written | 500 (the cause is logged, not sent) | `internal` |
//!
//!
//! # Cleanup
//!
//! A [`TempFile`] is deleted when dropped, so a failed request, a panic or a
//! client that disconnects mid-upload (the handler's future is then dropped,
//! or its next read fails with a `400`) leaves no file behind.

mod config;
mod error;
mod filename;
mod save;

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{StatusCode, header};
use http_body::Body as _;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use crate::error::code;
use crate::{Body, BoxError, Error, Extracting, FromRequest, Request, RequestCx};

pub use config::MultipartConfig;
pub use save::TempFile;

use error::{from_multer, malformed};

/// Write buffer of [`Field::save_temp`]: few enough system calls, small
/// enough to keep memory flat per upload.
const WRITE_BUFFER: usize = 256 * 1024;

/// A `multipart/form-data` request body, read field by field.
///
/// Extracting it checks the content type (`415` for another, `400` without a
/// boundary) and takes the body unread. See the [module docs](self).
pub struct Multipart {
    state: State,
    config: MultipartConfig,
    server_limit: usize,
    declared: Option<u64>,
    fields: usize,
}

enum State {
    Unread { body: Body, boundary: String },
    Reading(multer::Multipart<'static>),
    Done,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("fields_read", &self.fields)
            .finish_non_exhaustive()
    }
}

impl FromRequest for Multipart {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let boundary = match multer::parse_boundary(content_type) {
            Ok(b) => b,
            Err(multer::Error::NoBoundary) => {
                return Extracting::ready(Err(malformed(
                    "the `multipart/form-data` content type has no boundary",
                )));
            }
            Err(_) => {
                let got = if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                };
                return Extracting::ready(Err(Error::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    code::UNSUPPORTED_MEDIA_TYPE,
                )
                .message(format!(
                    "expected `content-type: multipart/form-data`, got {got}"
                ))));
            }
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let limit = cx.body_limit();
        let body = match crate::extract::take_limited(req, limit) {
            Ok(body) => body,
            Err(e) => return Extracting::ready(Err(e)),
        };
        Extracting::ready(Ok(Multipart {
            state: State::Unread { body, boundary },
            config: MultipartConfig::default(),
            server_limit: limit,
            declared,
            fields: 0,
        }))
    }
}

impl Multipart {
    /// Reads the form under `config`'s rules instead of the defaults (a
    /// clone of an `Arc`).
    ///
    /// # Panics
    /// If a field was already read.
    #[must_use]
    pub fn with_config(mut self, config: &MultipartConfig) -> Self {
        assert!(
            matches!(self.state, State::Unread { .. }),
            "`Multipart::with_config` must come before the first `next_field`"
        );
        self.config = config.clone();
        self
    }

    /// The next field, `None` after the last.
    ///
    /// # Errors
    /// A malformed form, a field that the rules do not allow (name, content
    /// type, count), or a form over its limit; see the [module docs](self).
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, Error> {
        if let State::Unread { .. } = self.state {
            self.start()?;
        }
        let State::Reading(parser) = &mut self.state else {
            return Ok(None);
        };
        let inner = match parser.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.state = State::Done;
                return Ok(None);
            }
            Err(e) => return Err(from_multer(e, self.server_limit)),
        };
        self.fields += 1;
        let config = &*self.config.0;
        if self.fields > config.max_fields {
            return Err(error::too_large(format!(
                "more than {} fields in the form (the form's `max_fields`)",
                config.max_fields
            )));
        }
        let Some(name) = inner.name() else {
            return Err(malformed("a form field has no name"));
        };
        if !config.is_allowed(name) {
            return Err(error::not_allowed(name));
        }
        let declared = inner.content_type().map(|m| m.essence_str().to_owned());
        if let Some(types) = config.accepted(name) {
            let got = declared.as_deref().unwrap_or("text/plain");
            if !types.iter().any(|t| config::type_matches(t, got)) {
                return Err(Error::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    code::UNSUPPORTED_MEDIA_TYPE,
                )
                .message(format!(
                    "field `{name}` has content type `{got}`; expected {}",
                    types.join(" or ")
                ))
                .field(error::pointer(name)));
            }
        }
        Ok(Some(Field {
            limit: config.limit_of(name),
            file_name: inner.file_name().and_then(filename::sanitize),
            content_type: declared,
            inner,
            read: 0,
            config,
            server_limit: self.server_limit,
        }))
    }

    /// Builds the parser once the rules are known.
    fn start(&mut self) -> Result<(), Error> {
        let State::Unread { body, boundary } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Ok(());
        };
        let mut limits = multer::SizeLimit::new();
        if let Some(whole) = self.config.0.whole_limit {
            if self.declared.is_some_and(|n| n > whole) {
                return Err(error::too_large(format!(
                    "multipart body larger than {whole} bytes (the form's `whole_limit`)"
                )));
            }
            limits = limits.whole_stream(whole);
        }
        let constraints = multer::Constraints::new().size_limit(limits);
        self.state = State::Reading(multer::Multipart::with_constraints(
            BodyStream(body),
            boundary,
            constraints,
        ));
        Ok(())
    }
}

/// One field of a form. Read it before asking for the next one.
pub struct Field<'m> {
    inner: multer::Field<'static>,
    file_name: Option<String>,
    content_type: Option<String>,
    limit: u64,
    read: u64,
    config: &'m config::Rules,
    server_limit: usize,
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Field<'_> {
    /// The field's name (`name="..."`).
    #[must_use]
    pub fn name(&self) -> &str {
        self.inner.name().unwrap_or_default()
    }

    /// The client's file name made safe to show and to use as one path
    /// component (see the [module docs](self)); `None` when the part has no
    /// file name or nothing usable is left of it.
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The file name exactly as the client sent it: hostile until proven
    /// otherwise; for logs, never for paths.
    #[must_use]
    pub fn raw_file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The part's declared `type/subtype` (no parameters), if any.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The part's headers.
    #[must_use]
    pub fn headers(&self) -> &http::HeaderMap {
        self.inner.headers()
    }

    /// The most bytes this field may have.
    #[must_use]
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The next chunk of the field's content, `None` at its end.
    ///
    /// # Errors
    /// Past the field's limit (`413`), or when the form is malformed or cut short.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        match self.inner.chunk().await {
            Ok(Some(bytes)) => {
                self.read += bytes.len() as u64;
                if self.read > self.limit {
                    return Err(error::field_too_large(self.name(), self.limit));
                }
                Ok(Some(bytes))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(from_multer(e, self.server_limit)),
        }
    }

    /// The whole content, in memory (within the field's limit).
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk).
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let mut first: Option<Bytes> = None;
        let mut rest = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            match &first {
                None => first = Some(chunk),
                Some(f) => {
                    if rest.is_empty() {
                        rest.extend_from_slice(f);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
        }
        Ok(if rest.is_empty() {
            first.unwrap_or_default()
        } else {
            Bytes::from(rest)
        })
    }

    /// The whole content as UTF-8 text (within the field's limit).
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk), and `400` when the content is not UTF-8.
    pub async fn text(self) -> Result<String, Error> {
        let name = self.name().to_owned();
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| {
            Error::new(StatusCode::BAD_REQUEST, code::INVALID_BODY)
                .message(format!("field `{name}` is not UTF-8 text"))
                .field(error::pointer(&name))
        })
    }

    /// Streams the content into `sink` and flushes it; returns the bytes written.
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk); a failing sink is a `500` (its error is logged).
    pub async fn save_to<W: AsyncWrite + Unpin>(mut self, sink: &mut W) -> Result<u64, Error> {
        while let Some(chunk) = self.chunk().await? {
            sink.write_all(&chunk)
                .await
                .map_err(|e| error::storage("writing to the sink failed", &e))?;
        }
        sink.flush()
            .await
            .map_err(|e| error::storage("flushing the sink failed", &e))?;
        Ok(self.read)
    }

    /// Streams the content into a new temporary file in the configured
    /// [`temp_dir`](MultipartConfig::temp_dir), which is deleted when the
    /// returned [`TempFile`] is dropped, or right away if this fails.
    ///
    /// # Errors
    /// As [`chunk`](Self::chunk); a file that cannot be created or written
    /// is a `500` (the cause is logged).
    pub async fn save_temp(self) -> Result<TempFile, Error> {
        let dir = self
            .config
            .temp_dir
            .as_deref()
            .map_or_else(std::env::temp_dir, Path::to_path_buf);
        let (file, path) = save::create(dir)
            .await
            .map_err(|e| error::storage("creating a temporary file failed", &e))?;
        let file_name = self.file_name.clone();
        let content_type = self.content_type.clone();
        // `path` deletes the file if anything below fails or is cancelled.
        let mut sink = BufWriter::with_capacity(WRITE_BUFFER, file);
        let len = self.save_to(&mut sink).await?;
        Ok(TempFile {
            path,
            len,
            file_name,
            content_type,
        })
    }
}

/// The request body as the `Stream` of chunks multer reads.
struct BodyStream(Body);

impl futures_core::Stream for BodyStream {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match Pin::new(&mut self.0).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}
