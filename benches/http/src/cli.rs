//! Command-line helpers shared by the suite's binaries (`bench`, `scale`).

use std::fmt;
use std::str::FromStr;

/// The non-empty, trimmed items of a comma-separated list.
pub fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `v` parsed as a `T`, or a message naming `flag`.
///
/// # Errors
/// When `v` does not parse.
pub fn number<T: FromStr>(flag: &str, v: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    v.parse().map_err(|e| format!("{flag}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_skip_blanks_and_numbers_name_their_flag() {
        assert_eq!(list(" a, ,b,").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(number::<u32>("--rounds", "3"), Ok(3));
        assert!(
            number::<u32>("--rounds", "x")
                .unwrap_err()
                .starts_with("--rounds: ")
        );
    }
}
