//! HTML escaping for the fortunes page: a small escaped writer rather than a
//! template crate. The page is one fixed table, so a template engine
//! (askama, sailfish) would bring a proc macro and a build step for three
//! lines of markup; every peer uses this same writer, so the comparison
//! measures the frameworks, not their template engines.

/// Appends `text` to `out` with `&`, `<`, `>`, `"` and `'` escaped (OWASP's
/// set for element content and quoted attributes).
pub fn escape_into(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(entity);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c'd — é");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&#39;d — é");
    }
}
