//! Strict percent-decoding of path parameters: what [`Path`](super::Path)
//! accepts, and why a value is refused.
//!
//! The rules (the routing guide has the user's view):
//! - every `%` starts a valid escape (`%` and two hex digits), the decoded
//!   bytes are UTF-8 and contain no NUL;
//! - a one-segment parameter (`{name}`) does not decode to a `/`, and is not
//!   a dot segment (`.`, `..`), however encoded;
//! - a catch-all (`{*rest}`) is a relative path: it may contain `/`, but no
//!   dot segment, no empty segment (so it does not start with `/`; one
//!   trailing `/` is allowed) and no `\`. Joined to a directory with
//!   `Path::join` it therefore never leaves the directory (on Windows,
//!   `kiln::fs` also refuses `:` and drive prefixes).
//!
//! [`LoosePath`](super::LoosePath) lifts the second rule for values that are
//! opaque identifiers which may contain slashes.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::percent_decode_str;

/// Which rules apply to one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Segments {
    /// `{name}`: one segment.
    One,
    /// `{name}` read through `LoosePath`: may decode to `/` or a dot segment.
    Loose,
    /// `{*rest}`: a relative path.
    Rest,
}

/// Why a value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    BadEscape,
    NotUtf8,
    Nul,
    Slash,
    DotSegment,
    Absolute,
    EmptySegment,
    Backslash,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refused::BadEscape => {
                "invalid percent-encoding (`%` must be followed by two hex digits)"
            }
            Refused::NotUtf8 => "not UTF-8 once percent-decoded",
            Refused::Nul => "contains a NUL byte",
            Refused::Slash => {
                "decodes to a value containing `/` (this parameter is one path segment)"
            }
            Refused::DotSegment => "contains a dot segment (`.` or `..`)",
            Refused::Absolute => "is an absolute path (starts with `/`)",
            Refused::EmptySegment => "contains an empty segment (`//`)",
            Refused::Backslash => "contains `\\`",
        })
    }
}

/// The decoded value of a parameter, or why it is refused.
pub(super) fn decode(raw: &str, segments: Segments) -> Result<Cow<'_, str>, Refused> {
    if !escapes_are_valid(raw.as_bytes()) {
        return Err(Refused::BadEscape);
    }
    let value = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refused::NotUtf8)?;
    if value.contains('\0') {
        return Err(Refused::Nul);
    }
    match segments {
        Segments::Loose => {}
        Segments::One => {
            if value.contains('/') {
                return Err(Refused::Slash);
            }
            if is_dot_segment(&value) {
                return Err(Refused::DotSegment);
            }
        }
        Segments::Rest => check_relative(&value)?,
    }
    Ok(value)
}

fn escapes_are_valid(raw: &[u8]) -> bool {
    let mut i = 0;
    while let Some(offset) = raw[i..].iter().position(|&b| b == b'%') {
        let at = i + offset;
        match raw.get(at + 1..at + 3) {
            Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => i = at + 3,
            _ => return false,
        }
    }
    true
}

fn is_dot_segment(s: &str) -> bool {
    s == "." || s == ".."
}

fn check_relative(path: &str) -> Result<(), Refused> {
    if path.contains('\\') {
        return Err(Refused::Backslash);
    }
    if path.starts_with('/') {
        return Err(Refused::Absolute);
    }
    // One trailing `/` names a directory; it is not an empty segment.
    let body = path.strip_suffix('/').unwrap_or(path);
    for segment in body.split('/') {
        if is_dot_segment(segment) {
            return Err(Refused::DotSegment);
        }
        if segment.is_empty() {
            return Err(Refused::EmptySegment);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Refused, Segments, decode};

    #[test]
    fn escapes() {
        assert_eq!(decode("a%20b", Segments::One).unwrap(), "a b");
        assert_eq!(decode("%zz", Segments::One), Err(Refused::BadEscape));
        assert_eq!(decode("a%2", Segments::One), Err(Refused::BadEscape));
        assert_eq!(decode("%", Segments::Rest), Err(Refused::BadEscape));
        assert_eq!(decode("%25zz", Segments::One).unwrap(), "%zz");
        assert_eq!(decode("%ff", Segments::Loose), Err(Refused::NotUtf8));
        assert_eq!(decode("%00", Segments::Loose), Err(Refused::Nul));
    }

    #[test]
    fn segments() {
        assert_eq!(decode("a%2Fb", Segments::One), Err(Refused::Slash));
        assert_eq!(decode("a%2Fb", Segments::Loose).unwrap(), "a/b");
        assert_eq!(decode("%2e%2E", Segments::One), Err(Refused::DotSegment));
        assert_eq!(decode("..", Segments::Loose).unwrap(), "..");
        assert_eq!(decode("a/b/", Segments::Rest).unwrap(), "a/b/");
        assert_eq!(
            decode("a/%2e%2e/b", Segments::Rest),
            Err(Refused::DotSegment)
        );
        assert_eq!(decode("%2Fetc", Segments::Rest), Err(Refused::Absolute));
        assert_eq!(decode("a//b", Segments::Rest), Err(Refused::EmptySegment));
        assert_eq!(decode("", Segments::Rest), Err(Refused::EmptySegment));
        assert_eq!(decode("a%5Cb", Segments::Rest), Err(Refused::Backslash));
    }
}
