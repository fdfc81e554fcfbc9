//! JSON pointers (RFC 6901) for the field an error is about.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1`.
///
/// ```
/// assert_eq!(kiln::error::escape_pointer_token("a/b~c"), "a~1b~0c");
/// assert_eq!(kiln::error::escape_pointer_token("title"), "title");
/// ```
#[must_use]
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// The JSON pointer of a `serde_path_to_error` path: `items[3].name` becomes
/// `/items/3/name`. `None` for the root (the error is about the whole value).
///
/// A segment the deserializer could not name ends the pointer there, so it
/// points at the nearest field that is known.
#[must_use]
pub fn from_serde_path(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "/{index}");
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape(key));
            }
            Segment::Enum { variant } => {
                out.push('/');
                out.push_str(&escape(variant));
            }
            Segment::Unknown => break,
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read by serde only
    struct Order {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read by serde only
    struct Item {
        #[serde(rename = "na/me")]
        name: String,
    }

    #[test]
    fn pointer_of_a_nested_field() {
        let json = r#"{"items":[{"na/me":"a"},{"na/me":2}]}"#;
        let de = &mut serde_json::Deserializer::from_str(json);
        let err = serde_path_to_error::deserialize::<_, Order>(de).unwrap_err();
        assert_eq!(
            from_serde_path(err.path()).as_deref(),
            Some("/items/1/na~1me")
        );
    }

    #[test]
    fn root_has_no_pointer() {
        let de = &mut serde_json::Deserializer::from_str("[]");
        let err = serde_path_to_error::deserialize::<_, Order>(de).unwrap_err();
        assert_eq!(from_serde_path(err.path()), None);
    }
}
