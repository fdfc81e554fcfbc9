//! `Content-Type` from a file name's extension.
//!
//! Text types a browser renders get `charset=utf-8` (so a page without a
//! `<meta charset>` is not guessed as Latin-1); everything else comes from
//! [`mime_guess`]'s table, and unknown extensions are `application/octet-stream`
//! (which, with `X-Content-Type-Options: nosniff`, browsers download rather
//! than render).

/// The content type for a file named `name`.
pub(crate) fn content_type(name: &str) -> &'static str {
    const OCTETS: &str = "application/octet-stream";
    let Some((_, ext)) = name.rsplit_once('.') else {
        return OCTETS;
    };
    let mut buf = [0u8; 16];
    if ext.len() > buf.len() {
        return OCTETS;
    }
    let lower = &mut buf[..ext.len()];
    lower.copy_from_slice(ext.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"html" | b"htm" => "text/html; charset=utf-8",
        b"css" => "text/css; charset=utf-8",
        b"js" | b"mjs" | b"cjs" => "text/javascript; charset=utf-8",
        b"json" | b"map" => "application/json",
        b"txt" => "text/plain; charset=utf-8",
        b"md" => "text/markdown; charset=utf-8",
        b"csv" => "text/csv; charset=utf-8",
        b"xml" => "text/xml; charset=utf-8",
        b"svg" => "image/svg+xml",
        b"wasm" => "application/wasm",
        b"webmanifest" => "application/manifest+json",
        _ => mime_guess::from_ext(ext).first_raw().unwrap_or(OCTETS),
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn common_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("A.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("app.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("font.woff2"), "font/woff2");
        assert_eq!(content_type("data.bin"), "application/octet-stream");
        assert_eq!(content_type("README"), "application/octet-stream");
        assert_eq!(
            content_type("x.averyveryverylongextension"),
            "application/octet-stream"
        );
    }
}
