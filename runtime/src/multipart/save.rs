//! Streaming a field to a temporary file that deletes itself unless kept.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

/// An uploaded file stored in a temporary file, from [`Field::save_temp`](super::Field::save_temp).
///
/// The file is deleted when this value is dropped: when the handler returns
/// an error, panics, or is cancelled because the client went away, nothing is
/// left behind. Keep it with [`persist`](Self::persist).
#[derive(Debug)]
pub struct TempFile {
    pub(super) path: TempPath,
    pub(super) len: u64,
    pub(super) file_name: Option<String>,
    pub(super) content_type: Option<String>,
}

impl TempFile {
    /// Where the file is now (a random name in the configured
    /// [`temp_dir`](super::MultipartConfig::temp_dir)).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sanitized file name the client gave (see [`Field::file_name`](super::Field::file_name)).
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The content type the part declared.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Moves the file to `dest` (a rename: `dest` must be on the same file
    /// system as the temporary directory) and stops it from being deleted.
    ///
    /// # Errors
    /// When the rename fails; the temporary file is then deleted.
    pub async fn persist(self, dest: impl Into<PathBuf>) -> io::Result<PathBuf> {
        let dest = dest.into();
        let path = self.path;
        tokio::task::spawn_blocking(move || {
            path.persist(&dest).map_err(|e| e.error)?;
            Ok(dest)
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// Creates an empty temporary file in `dir` (blocking: run on the blocking pool).
pub(super) async fn create(dir: PathBuf) -> io::Result<(tokio::fs::File, TempPath)> {
    let (file, path) = tokio::task::spawn_blocking(move || {
        tempfile::Builder::new()
            .prefix(".kiln-upload-")
            .tempfile_in(dir)
            .map(tempfile::NamedTempFile::into_parts)
    })
    .await
    .map_err(io::Error::other)??;
    Ok((tokio::fs::File::from_std(file), path))
}
