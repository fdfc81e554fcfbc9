//! [`CacheTags`]: the tags a handler gives its response, for
//! [`ResponseCache`](crate::builtin::ResponseCache).

use std::borrow::Cow;

use crate::{IntoResponse, Response};

/// The tags of a response, as an extension
/// [`ResponseCache`](crate::builtin::ResponseCache) reads (and removes)
/// when it stores the response; [`ResponseCache::invalidate_tag`] of any of
/// them drops it. Return a [`Tagged`] from a handler, or insert it in the
/// response's extensions.
///
/// [`ResponseCache::invalidate_tag`]: crate::builtin::ResponseCache::invalidate_tag
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheTags(Vec<Cow<'static, str>>);

impl CacheTags {
    /// No tags.
    #[must_use]
    pub fn new() -> Self {
        CacheTags(Vec::new())
    }

    /// Adds a tag: a fixed name (`"posts"`) or one built per item
    /// (`format!("post:{id}")`).
    #[must_use]
    pub fn tag(mut self, tag: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(tag.into());
        self
    }

    /// The tags.
    #[must_use]
    pub fn as_slice(&self) -> &[Cow<'static, str>] {
        &self.0
    }
}

impl<const N: usize> From<[&'static str; N]> for CacheTags {
    fn from(tags: [&'static str; N]) -> Self {
        CacheTags(tags.into_iter().map(Cow::Borrowed).collect())
    }
}

/// A response with [`CacheTags`]: `Tagged::new(["posts"], Json(posts))`.
#[derive(Debug, Clone)]
pub struct Tagged<T> {
    tags: CacheTags,
    inner: T,
}

impl<T> Tagged<T> {
    /// `inner`'s response, tagged.
    pub fn new(tags: impl Into<CacheTags>, inner: T) -> Self {
        Tagged {
            tags: tags.into(),
            inner,
        }
    }
}

impl<T: IntoResponse> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let mut res = self.inner.into_response();
        res.extensions_mut().insert(self.tags);
        res
    }
}
