//! What a multipart form may contain: size limits, allowed fields, accepted
//! content types, where temporary files go.

use std::path::PathBuf;
use std::sync::Arc;

/// The rules a [`Multipart`](super::Multipart) form is read under.
///
/// Register one as a singleton and apply it in the handler with
/// [`Multipart::with_config`](super::Multipart::with_config); a form read
/// without one uses [`MultipartConfig::default`].
///
/// | rule | default | when broken |
/// |---|---|---|
/// | [`whole_limit`](Self::whole_limit) | none (the server's body limit still applies) | `413`, naming the multipart limit |
/// | [`field_limit`](Self::field_limit) | 1 MiB | `413`, naming the field and its limit |
/// | [`limit_for`](Self::limit_for) | – | `413`, naming the field and its limit |
/// | [`max_fields`](Self::max_fields) | 128 | `413` |
/// | [`allow_fields`](Self::allow_fields) | any name | `400`, naming the field |
/// | [`accept`](Self::accept) | any type | `415`, naming the field, its type and the accepted ones |
/// | [`temp_dir`](Self::temp_dir) | [`std::env::temp_dir`] | – |
///
/// ```
/// use kiln::multipart::MultipartConfig;
/// let uploads = MultipartConfig::new()
///     .whole_limit(110 << 20)
///     .field_limit(16 << 10)
///     .limit_for("photo", 100 << 20)
///     .allow_fields(["title", "photo"])
///     .accept("photo", ["image/png", "image/jpeg"]);
/// # drop(uploads);
/// ```
///
/// The route's body limit is a ceiling for every body, uploads included:
/// declare a large one on the upload route (`#[limit(body = 110 << 20)]` in
/// `chain!`); other routes keep the server's
/// ([`ServeConfig::body_limit`](crate::ServeConfig::body_limit), 2 MiB).
///
/// Cloning it is cheap (the rules are shared behind an `Arc`).
#[derive(Debug, Clone, Default)]
pub struct MultipartConfig(pub(super) Arc<Rules>);

#[derive(Debug, Clone)]
pub(super) struct Rules {
    pub(super) whole_limit: Option<u64>,
    pub(super) field_limit: u64,
    pub(super) per_field: Vec<(String, u64)>,
    pub(super) max_fields: usize,
    pub(super) allowed: Option<Vec<String>>,
    pub(super) accept: Vec<(String, Vec<String>)>,
    pub(super) temp_dir: Option<PathBuf>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            whole_limit: None,
            field_limit: 1 << 20,
            per_field: Vec::new(),
            max_fields: 128,
            allowed: None,
            accept: Vec::new(),
            temp_dir: None,
        }
    }
}

impl MultipartConfig {
    /// The defaults (see the table above).
    #[must_use]
    pub fn new() -> Self {
        MultipartConfig::default()
    }

    /// The most bytes of the whole form (boundaries and part headers included).
    #[must_use]
    pub fn whole_limit(mut self, bytes: u64) -> Self {
        self.rules().whole_limit = Some(bytes);
        self
    }

    /// The most bytes of any one field's content, unless [`limit_for`](Self::limit_for)
    /// says otherwise for its name.
    #[must_use]
    pub fn field_limit(mut self, bytes: u64) -> Self {
        self.rules().field_limit = bytes;
        self
    }

    /// The most bytes of the field called `name` (a file field, usually).
    #[must_use]
    pub fn limit_for(mut self, name: impl Into<String>, bytes: u64) -> Self {
        let name = name.into();
        let rules = self.rules();
        rules.per_field.retain(|(n, _)| *n != name);
        rules.per_field.push((name, bytes));
        self
    }

    /// The most fields in one form (a form of a million empty fields is
    /// small in bytes and still costly).
    #[must_use]
    pub fn max_fields(mut self, max: usize) -> Self {
        self.rules().max_fields = max;
        self
    }

    /// Only fields with these names are accepted; any other is a `400`.
    #[must_use]
    pub fn allow_fields<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rules().allowed = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The field `name` must declare one of these content types (exact
    /// `type/subtype`, or `type/*`; compared without parameters, ignoring
    /// case). A part without a `Content-Type` is `text/plain` (RFC 7578).
    /// The type is the client's claim: check the content itself where that
    /// matters.
    #[must_use]
    pub fn accept<I, S>(mut self, name: impl Into<String>, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = name.into();
        let rules = self.rules();
        rules.accept.retain(|(n, _)| *n != name);
        rules
            .accept
            .push((name, types.into_iter().map(Into::into).collect()));
        self
    }

    /// The directory [`Field::save_temp`](super::Field::save_temp) creates
    /// files in. Put it on the file system of the final destination so that
    /// [`TempFile::persist`](super::TempFile::persist) is a rename.
    #[must_use]
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.rules().temp_dir = Some(dir.into());
        self
    }

    fn rules(&mut self) -> &mut Rules {
        Arc::make_mut(&mut self.0)
    }
}

impl Rules {
    pub(super) fn limit_of(&self, name: &str) -> u64 {
        self.per_field
            .iter()
            .find(|(n, _)| n == name)
            .map_or(self.field_limit, |&(_, l)| l)
    }

    pub(super) fn is_allowed(&self, name: &str) -> bool {
        self.allowed
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// The accepted types of `name`, if it has a rule.
    pub(super) fn accepted(&self, name: &str) -> Option<&[String]> {
        self.accept
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_slice())
    }
}

/// Whether the media type `got` (no parameters) matches `pattern`
/// (`type/subtype` or `type/*`), ignoring case.
pub(super) fn type_matches(pattern: &str, got: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(main) => got
            .split_once('/')
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case(main)),
        None => pattern.eq_ignore_ascii_case(got),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_patterns() {
        assert!(type_matches("image/png", "IMAGE/PNG"));
        assert!(type_matches("image/*", "image/webp"));
        assert!(!type_matches("image/*", "imagex/png"));
        assert!(!type_matches("image/png", "image/pngx"));
    }

    #[test]
    fn per_field_limits_override_the_default() {
        let c = MultipartConfig::new()
            .field_limit(10)
            .limit_for("f", 99)
            .limit_for("f", 100);
        assert_eq!(c.0.limit_of("f"), 100);
        assert_eq!(c.0.limit_of("g"), 10);
    }
}
