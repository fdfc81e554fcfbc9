//! Files compiled into the binary: [`EmbeddedDir`] over a table of
//! [`EmbeddedFile`]s that the build-script helper ([`kiln::fs::build`], feature
//! `fs-build`) generates, with entity tags and compressed variants computed at
//! build time. Serving one is a table lookup: no system call, no blocking pool.
//!
//! [`kiln::fs::build`]: crate::fs

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderValue;

use super::conditional::Conditions;
use super::resolve::{self, RelPath};
use super::respond::{Common, Meta, not_found, respond};
use crate::builtin::{ConfigError, config_value};
use crate::content_coding::{Accepted, ContentCoding};
use crate::{Body, Error, IntoResponse, Redirect, Request, Response};

/// One embedded file. The build helper writes these; the fields are public so
/// that generated code (or your own) can build the table as a `static`.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedFile {
    /// Path under the embedded root, `/`-separated, no leading `/`: `css/site.css`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its strong entity tag, with quotes: `"2c26b46b68ffc68f-1a"`.
    pub etag: &'static str,
    /// Its modification time, in seconds since the Unix epoch, if recorded.
    pub modified: Option<u64>,
    /// The bytes.
    pub bytes: &'static [u8],
    /// Compressed variants.
    pub variants: &'static [EmbeddedVariant],
}

/// A compressed variant of an [`EmbeddedFile`].
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedVariant {
    /// Its coding.
    pub coding: ContentCoding,
    /// Its own strong entity tag.
    pub etag: &'static str,
    /// The compressed bytes.
    pub bytes: &'static [u8],
}

/// A directory embedded in the binary, served at a route with
/// [`embedded`](super::embedded); the same answers as [`StaticDir`](super::StaticDir)
/// (validators, ranges, `index.html`, variants by `Accept-Encoding`).
#[derive(Debug, Clone)]
pub struct EmbeddedDir {
    files: &'static [EmbeddedFile],
    index: Option<&'static str>,
    codings: Vec<ContentCoding>,
    cache_control: Option<HeaderValue>,
}

impl EmbeddedDir {
    /// Serves `files` (sorted by path, as the build helper writes them) with
    /// `index.html` for directories and every compressed variant the table has.
    ///
    /// # Errors
    /// A table that is not sorted by path or has a duplicate path.
    pub fn new(files: &'static [EmbeddedFile]) -> Result<Self, ConfigError> {
        if let Some(w) = files.windows(2).find(|w| w[0].path >= w[1].path) {
            return Err(ConfigError::new(
                "EmbeddedDir",
                format!(
                    "files must be sorted by path without duplicates (`{}` comes before `{}`); use the table `kiln::fs::build` writes",
                    w[0].path, w[1].path
                ),
            ));
        }
        Ok(EmbeddedDir {
            files,
            index: Some("index.html"),
            codings: ContentCoding::ALL.to_vec(),
            cache_control: None,
        })
    }

    /// The file served for a directory; `None` answers 404. Default `index.html`.
    #[must_use]
    pub fn index(mut self, name: Option<&'static str>) -> Self {
        self.index = name;
        self
    }

    /// The variants offered, in order of preference for equal weights
    /// (default: brotli, zstd, gzip); `&[]` serves only the originals.
    #[must_use]
    pub fn precompressed(mut self, codings: &[ContentCoding]) -> Self {
        self.codings = codings.to_vec();
        self
    }

    /// `Cache-Control` on every answer.
    ///
    /// # Errors
    /// A value that is not a valid header value.
    pub fn cache_control(mut self, value: &str) -> Result<Self, ConfigError> {
        self.cache_control = Some(config_value(value).map_err(|_| {
            ConfigError::new(
                "EmbeddedDir",
                format!("`{value}` is not a valid `Cache-Control` value"),
            )
        })?);
        Ok(self)
    }

    /// The embedded files.
    #[must_use]
    pub fn files(&self) -> &'static [EmbeddedFile] {
        self.files
    }

    /// The file at `path` (decoded, `/`-separated), if embedded.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&'static EmbeddedFile> {
        let files = self.files;
        files
            .binary_search_by(|f| f.path.cmp(path))
            .ok()
            .map(|i| &files[i])
    }

    /// Answers `req` with the file at `tail` (still percent-encoded), like
    /// [`StaticDir::serve`](super::StaticDir::serve); hidden names are served
    /// only if they were embedded.
    #[must_use]
    pub fn serve(&self, req: &Request, tail: &str) -> Response {
        let rel = match resolve::relative(tail) {
            Ok(rel) => rel,
            Err(bad) => return Error::from(bad).into_response(),
        };
        let Some(file) = self.find(&rel) else {
            if !rel.trailing_slash && self.index_of(&rel.path).is_some() {
                return add_slash(req);
            }
            return not_found();
        };
        let cond = Conditions::new(req.method(), req.headers());
        let accepted = if self.codings.is_empty() {
            Accepted::IDENTITY
        } else {
            Accepted::from_headers(req.headers())
        };
        let (ranked, n) = accepted.ranked(&self.codings);
        let variant = ranked[..n]
            .iter()
            .find_map(|&c| file.variants.iter().find(|v| v.coding == c));
        let (bytes, etag, encoding) = match variant {
            Some(v) => (v.bytes, v.etag, Some(v.coding)),
            None => (file.bytes, file.etag, None),
        };
        let modified = file.modified.map(|s| UNIX_EPOCH + Duration::from_secs(s));
        let meta = Meta {
            len: bytes.len() as u64,
            etag: HeaderValue::from_static(etag),
            modified,
            content_type: file.content_type,
            encoding,
        };
        let decision = cond.evaluate(meta.len, etag, modified);
        let common = Common {
            cache_control: self.cache_control.as_ref(),
            vary: !self.codings.is_empty() && !file.variants.is_empty(),
        };
        respond(decision, &meta, &common, cond.is_head(), |start, len| {
            // `start + len` is within `bytes` (the decision checked it against its length).
            #[allow(clippy::cast_possible_truncation)]
            let range = start as usize..(start + len) as usize;
            Body::from_static(&bytes[range])
        })
    }

    fn find(&self, rel: &RelPath) -> Option<&'static EmbeddedFile> {
        if rel.trailing_slash {
            return self.index_of(&rel.path);
        }
        self.get(&rel.path)
    }

    fn index_of(&self, dir: &str) -> Option<&'static EmbeddedFile> {
        let index = self.index?;
        if dir.is_empty() {
            return self.get(index);
        }
        self.get(&format!("{dir}/{index}"))
    }
}

fn add_slash(req: &Request) -> Response {
    let uri = req.uri();
    let to = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    Redirect::permanent(&to).into_response()
}
