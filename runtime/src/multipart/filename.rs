//! Turning the client's file name into one that is safe to show and to use
//! as a single path component.
//!
//! The name in `Content-Disposition: form-data; filename="..."` is whatever
//! the client chose: a path (`../../etc/passwd`, `C:\Users\x\a.txt`), control
//! characters, NUL, a reserved Windows device (`CON`, `aux.txt`), a
//! right-to-left override that makes `exe.txt` display as `txt.exe`, or
//! thousands of bytes. [`sanitize`] keeps what a person would call the file's
//! name and drops the rest.

/// The longest sanitized name, in bytes (most file systems allow 255).
pub(crate) const MAX_LEN: usize = 255;

/// A safe version of `raw`: one path component without separators, `..`,
/// control or format characters, Windows-reserved characters or device names,
/// at most [`MAX_LEN`] bytes (cut at a character boundary, keeping the
/// extension). `None` when nothing usable is left.
pub(crate) fn sanitize(raw: &str) -> Option<String> {
    // Browsers send the base name, but old ones sent the whole client path:
    // keep the last component of either separator.
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut name: String = base.chars().filter(|&c| keep(c)).collect();
    // Leading dots hide files (and `..` is a traversal); trailing dots and
    // spaces are dropped by Windows, so `a.txt.` would become `a.txt` there.
    let trimmed = name
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    name = trimmed;
    if name.is_empty() {
        return None;
    }
    if is_windows_device(&name) {
        name.insert(0, '_');
    }
    Some(truncate(&name, MAX_LEN))
}

/// Whether a character may stay in a file name.
fn keep(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*')
        // Invisible characters that reorder or hide text: bidi embeddings,
        // overrides and isolates, marks, zero-width characters, BOM.
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9` (and their
/// superscript-digit forms), alone or with any extension, in any case.
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let mut chars = upper.chars();
            let prefix: String = chars.by_ref().take(3).collect();
            let rest: String = chars.collect();
            (prefix == "COM" || prefix == "LPT")
                && matches!(
                    rest.as_str(),
                    "0" | "1"
                        | "2"
                        | "3"
                        | "4"
                        | "5"
                        | "6"
                        | "7"
                        | "8"
                        | "9"
                        | "\u{B9}"
                        | "\u{B2}"
                        | "\u{B3}"
                )
        }
    }
}

/// Cuts `name` to at most `max` bytes at a character boundary, keeping a
/// short extension (up to 16 bytes) when there is one.
fn truncate(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let ext = name
        .rfind('.')
        .filter(|&i| i > 0 && name.len() - i <= 16)
        .map_or("", |i| &name[i..]);
    let mut cut = max - ext.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = name[..cut].trim_end_matches(['.', ' ']);
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(raw: &str) -> Option<String> {
        sanitize(raw)
    }

    #[test]
    fn keeps_ordinary_names() {
        assert_eq!(s("report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(s("été 2026.JPG").as_deref(), Some("été 2026.JPG"));
        assert_eq!(s("a.tar.gz").as_deref(), Some("a.tar.gz"));
    }

    #[test]
    fn paths_keep_only_the_last_component() {
        assert_eq!(s("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(s("C:\\Users\\ada\\cv.doc").as_deref(), Some("cv.doc"));
        assert_eq!(s("/abs/x.txt").as_deref(), Some("x.txt"));
        assert_eq!(s("..\\..\\boot.ini").as_deref(), Some("boot.ini"));
        assert_eq!(s("dir/").as_deref(), None);
    }

    #[test]
    fn dots_and_empties() {
        assert_eq!(s(".."), None);
        assert_eq!(s("."), None);
        assert_eq!(s(""), None);
        assert_eq!(s("   "), None);
        assert_eq!(s(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(s("a.txt. . ").as_deref(), Some("a.txt"));
    }

    #[test]
    fn control_format_and_reserved_characters_are_dropped() {
        assert_eq!(s("a\0b.txt").as_deref(), Some("ab.txt"));
        assert_eq!(s("a\r\nb\t.txt").as_deref(), Some("ab.txt"));
        assert_eq!(s("a\u{7f}\u{85}b").as_deref(), Some("ab"));
        assert_eq!(s("x<y>:\"|?*.txt").as_deref(), Some("xy.txt"));
        // "photo\u{202E}gpj.exe" displays as "photoexe.jpg".
        assert_eq!(s("photo\u{202E}gpj.exe").as_deref(), Some("photogpj.exe"));
        assert_eq!(s("\u{FEFF}\u{200B}a").as_deref(), Some("a"));
        assert_eq!(s("\0\u{1}\u{2}"), None);
    }

    #[test]
    fn windows_devices_are_prefixed() {
        for raw in [
            "CON",
            "con.txt",
            "Aux.tar.gz",
            "nul",
            "COM1",
            "lpt9.log",
            "COM\u{B9}",
        ] {
            let got = s(raw).unwrap();
            assert!(got.starts_with('_'), "{raw} -> {got}");
        }
        for raw in ["CONSOLE", "com10", "lpt", "icon.png", "nullable.txt"] {
            assert_eq!(s(raw).as_deref(), Some(raw));
        }
    }

    #[test]
    fn long_names_are_cut_at_a_char_boundary_keeping_the_extension() {
        let long = format!("{}.png", "é".repeat(400));
        let got = s(&long).unwrap();
        assert!(got.len() <= MAX_LEN, "{}", got.len());
        assert_eq!(&got[got.len() - 4..], ".png");
        assert!(got.starts_with('é'));
        let no_ext = "x".repeat(1000);
        assert_eq!(s(&no_ext).unwrap().len(), MAX_LEN);
    }
}
