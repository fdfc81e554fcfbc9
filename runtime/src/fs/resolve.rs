//! From the raw request tail to a path under the root, safe by construction.
//!
//! The tail is split on `/` *before* percent-decoding, and every decoded
//! segment must be a plain file name: not empty, `.` or `..`, no `/`, `\`,
//! `:` (Windows drive prefixes and NTFS streams), NUL or other control
//! characters, valid UTF-8, at most 255 bytes. A path built by pushing such
//! segments onto the root cannot name anything outside it lexically, so the
//! only way out left is a symbolic link, which [`super::dir`] checks against
//! the canonical root. Anything else is rejected before the file system is
//! touched.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;
use percent_encoding::percent_decode_str;

use crate::error::{Error, code};

/// The longest file name most file systems allow.
const MAX_SEGMENT: usize = 255;
/// The longest relative path served (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;

/// A validated relative path: clean segments joined by `/`, and whether the
/// request named a directory (ended in `/`, or was empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelPath {
    /// Decoded segments joined by `/`, no leading or trailing `/`.
    pub(crate) path: String,
    /// The tail was empty or ended in `/`.
    pub(crate) trailing_slash: bool,
    /// A segment starts with `.` (a hidden file or directory).
    pub(crate) hidden: bool,
}

impl RelPath {
    /// The segments, in order.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }

    /// The last segment (the file name), `""` for the root.
    pub(crate) fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// Why a request path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadPath {
    /// A `.` or `..` segment, or an empty one (`a//b`, a leading `/`).
    Traversal,
    /// A segment that decodes to `/`, `\`, `:`, NUL or another control character.
    ForbiddenByte,
    /// Percent-decoding produced invalid UTF-8.
    NotUtf8,
    /// A segment over 255 bytes or a path over 4096.
    TooLong,
}

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadPath::Traversal => "path segments `.`, `..` and empty segments are not allowed",
            BadPath::ForbiddenByte => {
                "path segments may not contain `/`, `\\`, `:`, NUL or control characters"
            }
            BadPath::NotUtf8 => "path is not valid UTF-8 once percent-decoded",
            BadPath::TooLong => "path too long (255 bytes per segment, 4096 in all)",
        })
    }
}

impl std::error::Error for BadPath {}

/// `414 URI Too Long` (code `uri_too_long`) for [`BadPath::TooLong`], `400
/// Bad Request` (code `invalid_path`) otherwise, with the reason as message.
impl From<BadPath> for Error {
    fn from(bad: BadPath) -> Self {
        let (status, code) = match bad {
            BadPath::TooLong => (StatusCode::URI_TOO_LONG, code::URI_TOO_LONG),
            _ => (StatusCode::BAD_REQUEST, code::INVALID_PATH),
        };
        Error::new(status, code).message(bad.to_string())
    }
}

/// Validates and decodes `raw`, the still percent-encoded tail of the request
/// path (what `{*path}` matched, without the query).
pub(crate) fn relative(raw: &str) -> Result<RelPath, BadPath> {
    if raw.len() > MAX_PATH * 3 {
        return Err(BadPath::TooLong);
    }
    let trailing_slash = raw.is_empty() || raw.ends_with('/');
    let body = raw.strip_suffix('/').unwrap_or(raw);
    let mut path = String::with_capacity(body.len());
    let mut hidden = false;
    if !body.is_empty() {
        for seg in body.split('/') {
            let seg = decode(seg)?;
            check_segment(&seg)?;
            hidden |= seg.starts_with('.');
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&seg);
        }
    }
    if path.len() > MAX_PATH {
        return Err(BadPath::TooLong);
    }
    Ok(RelPath {
        path,
        trailing_slash,
        hidden,
    })
}

fn decode(seg: &str) -> Result<Cow<'_, str>, BadPath> {
    percent_decode_str(seg)
        .decode_utf8()
        .map_err(|_| BadPath::NotUtf8)
}

fn check_segment(seg: &str) -> Result<(), BadPath> {
    if seg.is_empty() || seg == "." || seg == ".." {
        return Err(BadPath::Traversal);
    }
    if seg.len() > MAX_SEGMENT {
        return Err(BadPath::TooLong);
    }
    if seg
        .chars()
        .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
    {
        return Err(BadPath::ForbiddenByte);
    }
    // Windows ignores trailing dots and spaces (`..` + ` ` is `..`).
    if cfg!(windows) && seg.ends_with(['.', ' ']) {
        return Err(BadPath::Traversal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        relative(raw).unwrap().path
    }

    #[test]
    fn plain_paths_decode() {
        assert_eq!(ok("a/b.css"), "a/b.css");
        assert_eq!(ok("hello%20world.txt"), "hello world.txt");
        assert_eq!(ok("%C3%A9t%C3%A9.txt"), "été.txt");
        assert_eq!(ok(""), "");
        assert!(relative("").unwrap().trailing_slash);
        assert!(relative("docs/").unwrap().trailing_slash);
        assert!(!relative("docs").unwrap().trailing_slash);
        assert!(relative("a/.env").unwrap().hidden);
        assert!(!relative("a/b.env").unwrap().hidden);
    }

    #[test]
    fn hostile_paths_are_refused() {
        use BadPath::*;
        let cases = [
            ("..", Traversal),
            ("../etc/passwd", Traversal),
            ("a/../../etc/passwd", Traversal),
            ("%2e%2e/etc/passwd", Traversal),
            ("%2E%2E/%2E%2E/etc/passwd", Traversal),
            ("a/./b", Traversal),
            ("/etc/passwd", Traversal),
            ("a//b", Traversal),
            ("..%2fetc%2fpasswd", ForbiddenByte),
            ("a%2f..%2f..%2fb", ForbiddenByte),
            ("..%5c..%5cwindows", ForbiddenByte),
            ("..\\..\\windows", ForbiddenByte),
            ("C:/Windows/win.ini", ForbiddenByte),
            ("C%3A%5CWindows", ForbiddenByte),
            ("file.txt%00.png", ForbiddenByte),
            ("a%0ab", ForbiddenByte),
            ("%ff%fe", NotUtf8),
            ("%c0%ae%c0%ae/x", NotUtf8),
        ];
        for (raw, want) in cases {
            assert_eq!(relative(raw), Err(want), "{raw}");
        }
        assert_eq!(relative(&"a".repeat(256)), Err(TooLong));
        let long = vec!["abcdefgh"; 600].join("/");
        assert_eq!(relative(&long), Err(TooLong));
    }
}
