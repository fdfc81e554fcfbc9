//! Files from a directory on disk: [`StaticDir`] and [`StaticFile`].

use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::HeaderValue;

use super::conditional::Conditions;
use super::file_body::{FileBody, read_chunk};
use super::mime::content_type;
use super::resolve::{self, RelPath};
use super::respond::{Common, Meta, fmt_value, not_found, read_failed, respond};
use crate::builtin::ConfigError;
use crate::content_coding::{Accepted, ContentCoding};
use crate::{Body, Error, IntoResponse, Redirect, Request, Response};

/// Files at most this big are read in the same blocking call that opens them.
const INLINE_MAX: u64 = 64 * 1024;
/// Bigger files stream in chunks of this size.
const CHUNK: usize = 128 * 1024;

/// A directory served at a route: configure it once, register it as a
/// singleton, and route to [`dir`](super::dir).
///
/// Built with [`StaticDir::builder`]; see the [module docs](super) for what
/// it answers. Cloning shares the configuration (an `Arc`).
#[derive(Debug, Clone)]
pub struct StaticDir {
    inner: Arc<Settings>,
}

#[derive(Debug)]
pub(crate) struct Settings {
    root: PathBuf,
    index: Option<String>,
    precompressed: Vec<ContentCoding>,
    cache_control: Option<HeaderValue>,
    hidden: bool,
    check_symlinks: bool,
    inline_io: bool,
    inline_max: u64,
    chunk: usize,
}

impl StaticDir {
    /// Starts a configuration serving the directory `root`.
    pub fn builder(root: impl AsRef<Path>) -> StaticDirBuilder {
        StaticDirBuilder {
            root: root.as_ref().to_path_buf(),
            index: Some("index.html".to_owned()),
            precompressed: Vec::new(),
            cache_control: None,
            hidden: false,
            check_symlinks: true,
            inline_io: false,
            chunk: CHUNK,
        }
    }

    /// Serves `root` with the defaults.
    ///
    /// # Errors
    /// As [`StaticDirBuilder::build`].
    pub fn new(root: impl AsRef<Path>) -> Result<Self, ConfigError> {
        StaticDir::builder(root).build()
    }

    /// The canonical root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Answers `req` with the file at `tail`, the still percent-encoded path
    /// under the root (what the route's `{*path}` matched). The
    /// [`dir`](super::dir) handler calls it; call it from your own handler to
    /// serve several directories (one newtype singleton each).
    pub async fn serve(&self, req: &Request, tail: &str) -> Response {
        let rel = match resolve::relative(tail) {
            Ok(rel) => rel,
            Err(bad) => return Error::from(bad).into_response(),
        };
        if rel.hidden && !self.inner.hidden {
            return not_found();
        }
        self.serve_rel(req, rel).await
    }

    async fn serve_rel(&self, req: &Request, rel: RelPath) -> Response {
        let cond = Conditions::new(req.method(), req.headers());
        let accepted = if self.inner.precompressed.is_empty() {
            Accepted::IDENTITY
        } else {
            Accepted::from_headers(req.headers())
        };
        let outcome = if self.inner.inline_io {
            Ok(self.inner.answer(&rel, &cond, accepted))
        } else {
            let settings = Arc::clone(&self.inner);
            tokio::task::spawn_blocking(move || settings.answer(&rel, &cond, accepted)).await
        };
        match outcome {
            Ok(Outcome::Done(res)) => res,
            Ok(Outcome::AddSlash) => {
                let uri = req.uri();
                let mut to = format!("{}/", uri.path());
                if let Some(q) = uri.query() {
                    to.push('?');
                    to.push_str(q);
                }
                Redirect::permanent(&to).into_response()
            }
            Err(e) => {
                tracing::error!(target: "kiln::fs", error = %e, "file task failed");
                read_failed()
            }
        }
    }
}

enum Outcome {
    Done(Response),
    /// A directory was named without its trailing `/`: redirect, so relative
    /// links in its index resolve against it.
    AddSlash,
}

fn missing() -> Outcome {
    Outcome::Done(not_found())
}

impl Settings {
    /// Everything that touches the file system, in one blocking call.
    fn answer(&self, rel: &RelPath, cond: &Conditions, accepted: Accepted) -> Outcome {
        let mut path = self.root.clone();
        for seg in rel.segments() {
            path.push(seg);
        }
        let Some((mut path, mut file, mut meta)) = self.open_checked(path) else {
            return missing();
        };
        let mut name_for_type = rel.file_name().to_owned();
        if meta.is_dir() {
            if !rel.trailing_slash {
                return Outcome::AddSlash;
            }
            let Some(index) = &self.index else {
                return missing();
            };
            path.push(index);
            let Some(opened) = self.open_checked(path) else {
                return missing();
            };
            (path, file, meta) = opened;
            name_for_type.clone_from(index);
        } else if rel.trailing_slash {
            // `file.txt/` names no directory.
            return missing();
        }
        if !meta.is_file() {
            // Devices, sockets, FIFOs: never.
            return missing();
        }
        let mut encoding = None;
        let (ranked, n) = accepted.ranked(&self.precompressed);
        for &coding in &ranked[..n] {
            if let Some((f, m)) = self.open_variant(&path, coding) {
                (file, meta, encoding) = (f, m, Some(coding));
                break;
            }
        }
        let modified = meta.modified().ok();
        let etag = entity_tag(meta.len(), modified);
        let info = Meta {
            len: meta.len(),
            etag,
            modified,
            content_type: content_type(&name_for_type),
            encoding,
        };
        let decision = cond.evaluate(info.len, info.etag.to_str().unwrap_or(""), modified);
        let common = Common {
            cache_control: self.cache_control.as_ref(),
            vary: !self.precompressed.is_empty(),
        };
        let mut failed = None;
        let res = respond(
            decision,
            &info,
            &common,
            cond.is_head(),
            |start, len| match self.body(file, start, len) {
                Ok(body) => body,
                Err(e) => {
                    failed = Some(e);
                    Body::empty()
                }
            },
        );
        if let Some(e) = failed {
            tracing::warn!(target: "kiln::fs", path = %path.display(), error = %e, "reading a file failed");
            return Outcome::Done(read_failed());
        }
        Outcome::Done(res)
    }

    /// Opens `path` if it exists and (when checked) resolves inside the root;
    /// returns the path that was opened.
    fn open_checked(&self, path: PathBuf) -> Option<(PathBuf, File, fs::Metadata)> {
        let path = if self.check_symlinks {
            let real = fs::canonicalize(&path).ok()?;
            if !real.starts_with(&self.root) {
                tracing::debug!(target: "kiln::fs", path = %path.display(), "symbolic link leads out of the root; 404");
                return None;
            }
            real
        } else {
            path
        };
        let file = File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        Some((path, file, meta))
    }

    /// The precompressed sibling `path` + `.br` (say), if it is a regular file
    /// (a symbolic link only when it resolves inside the root).
    fn open_variant(&self, path: &Path, coding: ContentCoding) -> Option<(File, fs::Metadata)> {
        let mut name = path.as_os_str().to_owned();
        name.push(coding.extension());
        let variant = PathBuf::from(name);
        let link = fs::symlink_metadata(&variant).ok()?;
        let (_, file, meta) = if link.file_type().is_symlink() {
            self.open_checked(variant)?
        } else {
            let file = File::open(&variant).ok()?;
            let meta = file.metadata().ok()?;
            (variant, file, meta)
        };
        meta.is_file().then_some((file, meta))
    }

    fn body(&self, mut file: File, start: u64, len: u64) -> io::Result<Body> {
        if start > 0 {
            file.seek(SeekFrom::Start(start))?;
        }
        if len <= self.inline_max {
            // `len` fits in memory: it is at most `inline_max`.
            #[allow(clippy::cast_possible_truncation)]
            let data = read_chunk(&mut file, len as usize)?;
            return Ok(Body::from(Bytes::from(data)));
        }
        Ok(Body::wrap(FileBody::new(file, len, self.chunk)))
    }
}

/// A strong entity tag from the file's size and modification time (with
/// nanoseconds), like nginx's: it changes whenever the file is rewritten.
fn entity_tag(len: u64, modified: Option<std::time::SystemTime>) -> HeaderValue {
    let nanos = modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    fmt_value::<64>(format_args!("\"{nanos:x}-{len:x}\""))
}

/// Builds a [`StaticDir`].
#[derive(Debug, Clone)]
#[must_use]
pub struct StaticDirBuilder {
    root: PathBuf,
    index: Option<String>,
    precompressed: Vec<ContentCoding>,
    cache_control: Option<String>,
    hidden: bool,
    check_symlinks: bool,
    inline_io: bool,
    chunk: usize,
}

impl StaticDirBuilder {
    /// The file served for a directory (`dir/` → `dir/index.html`); `None`
    /// answers 404 for directories. Default `index.html`. There is no
    /// directory listing.
    pub fn index(mut self, name: Option<&str>) -> Self {
        self.index = name.map(str::to_owned);
        self
    }

    /// Serves precompressed siblings (`app.js.br`, `app.js.zst`,
    /// `app.js.gz`) of a file when the client accepts that coding, in this
    /// order of preference for equal weights; adds `Vary: Accept-Encoding`.
    /// Off by default. The sibling's own size and time make its `ETag`, so
    /// each variant validates separately.
    pub fn precompressed(mut self, codings: &[ContentCoding]) -> Self {
        self.precompressed = codings.to_vec();
        self
    }

    /// `Cache-Control` on every answer (`200`, `206`, `304`), e.g.
    /// `"public, max-age=31536000, immutable"` for fingerprinted assets or
    /// `"no-cache"` to revalidate every time. None by default.
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control = Some(value.to_owned());
        self
    }

    /// Serves files and directories whose name starts with `.` (`.env`,
    /// `.git/`). Off by default: they answer 404.
    pub fn serve_hidden(mut self, yes: bool) -> Self {
        self.hidden = yes;
        self
    }

    /// Trusts symbolic links under the root wherever they lead, skipping the
    /// per-request check that resolves each path and refuses one that leaves
    /// the root (a few system calls). Off by default.
    pub fn follow_any_symlink(mut self, yes: bool) -> Self {
        self.check_symlinks = !yes;
        self
    }

    /// Opens, checks and reads files up to 64 KiB on the worker thread that
    /// handles the request instead of tokio's blocking pool. For local disks
    /// whose files sit in the page cache these calls take microseconds and
    /// the hop to the pool costs more than they do; on a slow or network file
    /// system they would stall every connection on that worker. Off by
    /// default. Chunks of bigger files are read on the pool either way.
    pub fn inline_io(mut self, yes: bool) -> Self {
        self.inline_io = yes;
        self
    }

    /// The chunk size of streamed files (default 128 KiB; files up to 64 KiB
    /// are read at once). A response holds at most one chunk in memory.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = bytes;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// A root that does not exist or is not a directory, an index name that
    /// is not one plain file name, an invalid `Cache-Control` value, a chunk
    /// size of 0.
    pub fn build(self) -> Result<StaticDir, ConfigError> {
        let err = |m: String| ConfigError::new("StaticDir", m);
        let root = fs::canonicalize(&self.root).map_err(|e| {
            err(format!(
                "root `{}` cannot be opened ({e}); give an existing directory",
                self.root.display()
            ))
        })?;
        if !root.is_dir() {
            return Err(err(format!("root `{}` is not a directory", root.display())));
        }
        if let Some(index) = &self.index
            && resolve::relative(index).map_or(true, |r| r.path.contains('/') || r.path.is_empty())
        {
            return Err(err(format!(
                "index `{index}` must be a plain file name such as `index.html`"
            )));
        }
        let cache_control = self
            .cache_control
            .map(|v| {
                crate::builtin::config_value(&v)
                    .map_err(|_| err(format!("`{v}` is not a valid `Cache-Control` value")))
            })
            .transpose()?;
        if self.chunk == 0 {
            return Err(err(
                "a chunk size of 0 reads nothing; give at least 1".into()
            ));
        }
        let mut precompressed = self.precompressed;
        precompressed.dedup();
        Ok(StaticDir {
            inner: Arc::new(Settings {
                root,
                index: self.index,
                precompressed,
                cache_control,
                hidden: self.hidden,
                check_symlinks: self.check_symlinks,
                inline_io: self.inline_io,
                inline_max: INLINE_MAX.min(self.chunk as u64),
                chunk: self.chunk,
            }),
        })
    }
}

/// One file served at a route (`GET "/favicon.ico" => kiln::fs::static_file`),
/// with the same validators, ranges and precompressed variants as
/// [`StaticDir`]. Built with [`StaticFile::builder`], which takes the same
/// options.
#[derive(Debug, Clone)]
pub struct StaticFile {
    dir: StaticDir,
    name: String,
}

impl StaticFile {
    /// Starts a configuration for the file at `path`.
    pub fn builder(path: impl AsRef<Path>) -> StaticFileBuilder {
        let path = path.as_ref();
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        StaticFileBuilder {
            dir: StaticDir::builder(parent).index(None),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        }
    }

    /// Serves the file at `path` with the defaults.
    ///
    /// # Errors
    /// As [`StaticFileBuilder::build`].
    pub fn new(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        StaticFile::builder(path).build()
    }

    /// Answers `req` with the file.
    pub async fn serve(&self, req: &Request) -> Response {
        let rel = RelPath {
            path: self.name.clone(),
            trailing_slash: false,
            hidden: false,
        };
        self.dir.serve_rel(req, rel).await
    }
}

/// Builds a [`StaticFile`]; the options are [`StaticDirBuilder`]'s.
#[derive(Debug, Clone)]
#[must_use]
pub struct StaticFileBuilder {
    dir: StaticDirBuilder,
    name: Option<String>,
}

impl StaticFileBuilder {
    /// See [`StaticDirBuilder::precompressed`].
    pub fn precompressed(mut self, codings: &[ContentCoding]) -> Self {
        self.dir = self.dir.precompressed(codings);
        self
    }

    /// See [`StaticDirBuilder::cache_control`].
    pub fn cache_control(mut self, value: &str) -> Self {
        self.dir = self.dir.cache_control(value);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// A path that is not an existing regular file, or an invalid option.
    pub fn build(self) -> Result<StaticFile, ConfigError> {
        let dir = self.dir.build()?;
        let name = self
            .name
            .filter(|n| dir.root().join(n).is_file())
            .ok_or_else(|| {
                ConfigError::new(
                    "StaticFile",
                    format!(
                        "no regular file by that name in `{}`; give the path of an existing file",
                        dir.root().display()
                    ),
                )
            })?;
        Ok(StaticFile { dir, name })
    }
}
