//! Static files (feature `fs`): a directory on disk ([`StaticDir`]), one file
//! ([`StaticFile`]) or a directory compiled into the binary ([`EmbeddedDir`]),
//! each a singleton served by a ready-made handler.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::fs::StaticDir;
//!
//! chain! {
//!     struct Site;
//!     singletons { assets: StaticDir }
//!     routes { GET "/assets/{*path}" => kiln::fs::dir }
//! }
//!
//! # let root = std::env::temp_dir().join(format!("kiln-fs-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&root).unwrap();
//! # std::fs::write(root.join("app.css"), "body { margin: 0 }").unwrap();
//! let assets = StaticDir::builder(&root)
//!     .cache_control("public, max-age=3600")
//!     .build()
//!     .unwrap();
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Site::new(SiteSingletons { assets }));
//! let res = client.get("/assets/app.css").send().await;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.header("content-type"), Some("text/css; charset=utf-8"));
//! let etag = res.header("etag").unwrap().to_owned();
//!
//! // Revalidation: the same entity tag is a 304 without a body.
//! let res = client.get("/assets/app.css").header("if-none-match", &etag).send().await;
//! assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
//!
//! // A byte range.
//! let res = client.get("/assets/app.css").header("range", "bytes=0-3").send().await;
//! assert_eq!((res.status(), res.text().as_str()), (StatusCode::PARTIAL_CONTENT, "body"));
//!
//! // Nothing outside the root, however the path is spelled.
//! let res = client.get("/assets/%2e%2e/%2e%2e/etc/passwd").send().await;
//! assert_eq!(res.status(), StatusCode::BAD_REQUEST);
//! assert_eq!(res.json::<serde_json::Value>()["code"], "invalid_path");
//! # });
//! # std::fs::remove_dir_all(&root).unwrap();
//! ```
//!
//! # What a request gets
//!
//! - `200` with `Content-Type` (from the extension; text types with
//!   `charset=utf-8`), `Content-Length`, a strong `ETag`, `Last-Modified`,
//!   `Accept-Ranges: bytes` and the configured `Cache-Control`. `HEAD`
//!   answers the same headers without reading the file.
//! - `304` for a matching `If-None-Match` (weak comparison) or, without one,
//!   an `If-Modified-Since` not older than the file; `412` for a failed
//!   `If-Match` (strong comparison) or `If-Unmodified-Since`.
//! - `206` with `Content-Range` for one satisfiable `Range` on `GET` (gated
//!   by `If-Range`), `416` with `Content-Range: bytes */len` for an
//!   unsatisfiable one. Several ranges get the whole file (`200`): RFC 9110
//!   lets a server ignore `Range`, and `multipart/byteranges` is rarely asked
//!   for and easy to abuse with many tiny overlapping ranges.
//! - With [`StaticDirBuilder::precompressed`], a sibling `app.js.br` (or
//!   `.zst`, `.gz`) when `Accept-Encoding` accepts it, with
//!   `Content-Encoding` and `Vary: Accept-Encoding`.
//! - A directory: its `index.html` when the path ends in `/`, a `308` to the
//!   path with `/` otherwise; no listings.
//! - `404` for what does not exist, hidden names (`.env`, `.git/`) unless
//!   [`StaticDirBuilder::serve_hidden`], symbolic links that lead out of the
//!   root, and anything but regular files.
//! - `400` (`414` when too long) for a path that is not a plain list of file
//!   names: `..` or `.` segments (also as `%2e%2e`), encoded `/` (`%2f`),
//!   backslashes, `:` (drive prefixes such as `C:`), NUL and control
//!   characters, invalid UTF-8, an empty segment (a leading `/`).
//!
//! The 4xx and 5xx answers are [`kiln::Error`](crate::Error)s (problem+json
//! unless the app renders its own format): `invalid_path` (400),
//! `not_found`, `precondition_failed` (412), `uri_too_long` (414),
//! `range_not_satisfiable` (416, `Content-Range` kept) and `internal` (500, the
//! cause logged). `304` and `206` are not errors and carry no error body.
//!
//! # Traversal safety
//!
//! The tail is split on `/` before it is percent-decoded, and each decoded
//! segment must be a plain file name, so the path joined onto the root
//! cannot leave it lexically; the canonical path of what is opened must then
//! lie under the canonical root, which rules out symbolic links that lead out
//! (turn that check off with [`StaticDirBuilder::follow_any_symlink`] when
//! you trust the directory). `tests/tests/files/hostile_paths.rs` runs the
//! battery over a real socket.
//!
//! # Memory and threads
//!
//! Files up to 64 KiB are opened, checked and read in one call on tokio's
//! blocking pool; bigger ones stream in 128 KiB chunks (one in flight), so a
//! 10 GiB file costs one chunk of memory. [`StaticDirBuilder::inline_io`]
//! makes that first call on the request's own worker thread instead, which
//! is cheaper for page-cached local files (see `BENCHMARKS.md`). Embedded
//! files are served from the binary without a system call.
//!
//! # Routes
//!
//! A catch-all (`{*path}`) matches at least one character, so the directory
//! itself (`/assets/`, which serves its `index.html`) needs its own route to
//! the same handler: `GET "/assets/" => kiln::fs::dir`. The handler reads the
//! route's last parameter ([`Tail`]); a route without one serves the root.
//!
//! # Several directories
//!
//! Singletons are keyed by type name, so one app has one `StaticDir`. Serve
//! more with newtypes and a one-line handler each:
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::fs::{StaticDir, Tail};
//!
//! struct Uploads(StaticDir);
//!
//! #[handler]
//! async fn uploads(dir: &Uploads, req: &Request, tail: Tail) -> Response {
//!     dir.0.serve(req, tail.get(req)).await
//! }
//!
//! chain! {
//!     struct Site;
//!     singletons { assets: StaticDir, uploads_dir: Uploads }
//!     routes {
//!         GET "/assets/{*path}" => kiln::fs::dir,
//!         GET "/uploads/{*path}" => uploads,
//!     }
//! }
//! ```
//!
//! # Embedded
//!
//! [`EmbeddedDir`] serves a table of [`EmbeddedFile`]s compiled into the
//! binary, with the same answers; the build-script helper `fs::build`
//! (feature `fs-build`) writes the table with entity tags and gzip, brotli
//! and zstd variants computed at build time, so a deployment is one file.
//! See [`include_embedded!`](crate::include_embedded).
//!
//! # With `Compression`
//!
//! The [`Compression`](crate::builtin::Compression) built-in leaves responses
//! that already carry `Content-Encoding` (precompressed variants) and `206`s
//! alone, and compresses other compressible files on the fly, weakening their
//! `ETag` (`W/"..."`) as the representation changed; a `304` answers a
//! weakened tag with the same weak tag.

#[cfg(feature = "fs-build")]
pub mod build;
#[cfg(feature = "fs")]
mod conditional;
#[cfg(feature = "fs")]
mod dir;
#[cfg(feature = "fs")]
mod embed;
#[cfg(feature = "fs")]
mod file_body;
mod mime;
#[cfg(feature = "fs")]
mod resolve;
#[cfg(feature = "fs")]
mod respond;

#[cfg(feature = "fs")]
pub use dir::{StaticDir, StaticDirBuilder, StaticFile, StaticFileBuilder};
#[cfg(feature = "fs")]
pub use embed::{EmbeddedDir, EmbeddedFile, EmbeddedVariant};

pub use crate::content_coding::ContentCoding;
#[cfg(feature = "fs")]
pub use tail::Tail;

#[cfg(feature = "fs")]
mod tail {
    use std::convert::Infallible;

    use crate::{FromRequestParts, Request, RequestCx};

    /// The raw (still percent-encoded) value of the route's last parameter,
    /// e.g. what `{*path}` matched in `/assets/{*path}`; empty for a route
    /// without parameters. An extractor that never rejects.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Tail {
        start: usize,
        end: usize,
    }

    impl Tail {
        /// The value, read from the request it was extracted from.
        #[must_use]
        pub fn get<'r>(&self, req: &'r Request) -> &'r str {
            req.uri().path().get(self.start..self.end).unwrap_or("")
        }
    }

    impl FromRequestParts for Tail {
        type Rejection = Infallible;

        fn from_request_parts(req: &Request, cx: &RequestCx<'_>) -> Result<Self, Infallible> {
            let path = req.uri().path();
            let base = path.as_ptr() as usize;
            Ok(cx.params().iter(path).last().map_or(
                Tail {
                    start: path.len(),
                    end: path.len(),
                },
                |(_, v)| {
                    let start = v.as_ptr() as usize - base;
                    Tail {
                        start,
                        end: start + v.len(),
                    }
                },
            ))
        }
    }
}

/// Serves the app's [`StaticDir`] at a route whose last parameter is the path
/// under it: `GET "/assets/{*path}" => kiln::fs::dir`.
#[cfg(feature = "fs")]
#[crate::handler]
pub async fn dir(dir: &StaticDir, req: &Request, tail: Tail) -> Response {
    dir.serve(req, tail.get(req)).await
}

/// Serves the app's [`StaticFile`]: `GET "/favicon.ico" => kiln::fs::static_file`.
#[cfg(feature = "fs")]
#[crate::handler]
pub async fn static_file(file: &StaticFile, req: &Request) -> Response {
    file.serve(req).await
}

/// Serves the app's [`EmbeddedDir`] at a route whose last parameter is the
/// path under it: `GET "/{*path}" => kiln::fs::embedded`.
#[cfg(feature = "fs")]
#[crate::handler]
pub fn embedded(dir: &EmbeddedDir, req: &Request, tail: Tail) -> Response {
    dir.serve(req, tail.get(req))
}

#[cfg(feature = "fs")]
use crate::{Request, Response};

/// The table written by `kiln::fs::build::Embed::generate("NAME")` in a build
/// script, as an expression of type `&'static [kiln::fs::EmbeddedFile]`:
/// `static ASSETS: &[kiln::fs::EmbeddedFile] = kiln::include_embedded!("ASSETS");`.
#[macro_export]
macro_rules! include_embedded {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"))
    };
}
