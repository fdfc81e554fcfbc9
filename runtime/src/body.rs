//! The body type of kiln requests and responses.

use bytes::Bytes;

/// A complete in-memory body.
///
/// `Static` never allocates, which is what lets a handler return a fixed
/// response without touching the heap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Body {
    /// No body at all.
    #[default]
    Empty,
    /// Bytes that live for the whole program.
    Static(&'static [u8]),
    /// Reference-counted bytes.
    Bytes(Bytes),
}

impl Body {
    /// An empty body.
    #[must_use]
    pub const fn empty() -> Self {
        Body::Empty
    }

    /// The body's bytes, without copying.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Empty => &[],
            Body::Static(b) => b,
            Body::Bytes(b) => b,
        }
    }

    /// The length of the body in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the body has no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::Static(s.as_bytes())
    }
}

impl From<&'static [u8]> for Body {
    fn from(b: &'static [u8]) -> Self {
        Body::Static(b)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Bytes(Bytes::from(s))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::Bytes(Bytes::from(v))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Bytes(b)
    }
}
