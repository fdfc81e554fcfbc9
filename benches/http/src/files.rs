//! What the `files` and `compression` scenarios serve: three static files
//! with a fixed modification time (so one `If-Modified-Since` revalidates on
//! every server, nginx's exact match included) and a 100 KiB JSON body.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

/// The files served under `/files/`: name and size.
pub const FILES: [(&str, usize); 3] = [
    ("1k.bin", 1024),
    ("64k.bin", 64 * 1024),
    ("10m.bin", 10 * 1024 * 1024),
];

/// Their modification time: 2023-11-14 22:13:20 UTC.
pub const MTIME_UNIX: u64 = 1_700_000_000;
/// The same as an HTTP date, for `If-Modified-Since`.
pub const MTIME_HTTP: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

/// `content-type` of the `.bin` files on every server.
pub const OCTETS: &str = "application/octet-stream";

/// The directory with the files, created (or repaired) on first use under
/// the system's temporary directory; every server and the harness agree on it.
///
/// # Errors
/// When the files cannot be written.
pub fn dir() -> io::Result<PathBuf> {
    let dir = std::env::temp_dir().join("kiln-bench-files");
    std::fs::create_dir_all(&dir)?;
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(MTIME_UNIX);
    for (name, size) in FILES {
        let path = dir.join(name);
        let ok = std::fs::metadata(&path)
            .is_ok_and(|m| m.len() == size as u64 && m.modified().ok() == Some(mtime));
        if !ok {
            // Write to a temporary name and rename, so a server started in
            // parallel never sees a half-written file.
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&tmp, contents(size))?;
            File::options()
                .write(true)
                .open(&tmp)?
                .set_modified(mtime)?;
            std::fs::rename(&tmp, &path)?;
        }
    }
    Ok(dir)
}

/// Deterministic bytes that do not compress to nothing.
fn contents(size: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The body of `GET /json-100k` in the `compression` scenario: about 100 KiB
/// of JSON records.
pub static BIG_JSON: LazyLock<String> = LazyLock::new(|| {
    let records: Vec<String> = (0..1400)
        .map(|i| {
            format!(
                r#"{{"id":{i},"name":"user-{i}","email":"user{i}@example.com","active":{},"score":{}}}"#,
                i % 3 != 0,
                (i * 37) % 1000
            )
        })
        .collect();
    format!("[{}]", records.join(","))
});
