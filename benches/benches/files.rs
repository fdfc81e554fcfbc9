//! Static files in process: kiln's native `StaticDir` against tower-http's
//! `ServeDir` run as a kiln `App` (kiln's tower interop), for a 1 KiB
//! and a 64 KiB file read whole, and a 304 revalidation by `If-Modified-Since`
//! (`ServeDir` sends no `ETag`, so `If-None-Match` cannot be compared). Both read the file
//! on tokio's blocking pool; the body is collected, as a server would send it.
//!
//! Run: `cargo bench -p kiln-benches --bench files -- --warm-up-time 1 --measurement-time 3`.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use kiln::fs::StaticDir;
use kiln::prelude::*;
use kiln::{App, Conn, ConnInfo};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// tower-http's `ServeDir` as a kiln app: the request goes to it as it is,
/// the cheapest way to use it from kiln (no chain, no copy of the request).
struct TowerFiles(ServeDir);

impl App for TowerFiles {
    async fn handle(&self, req: Request, _conn: &mut Conn) -> Response {
        match self.0.clone().oneshot(req).await {
            Ok(res) => res.map(Body::wrap),
            Err(e) => match e {},
        }
    }
}

chain! {
    struct Files;
    singletons { assets: StaticDir }
    routes { GET "/{*path}" => kiln::fs::dir }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile_dir();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let kiln_app = Files::new(FilesSingletons {
        assets: StaticDir::new(&dir).unwrap(),
    });
    let tower_app = TowerFiles(ServeDir::new(&dir));
    let send = |side: &str, path: &str, etag: Option<&str>| {
        let mut req = kiln::http::Request::get(path);
        if let Some(t) = etag {
            req = req.header("if-modified-since", t);
        }
        let req = req.body(Body::empty()).unwrap();
        rt.block_on(async {
            let mut conn = Conn::new(ConnInfo::default());
            let res = if side == "kiln" {
                kiln_app.handle(req, &mut conn).await
            } else {
                tower_app.handle(req, &mut conn).await
            };
            let status = res.status();
            let modified = res
                .headers()
                .get("last-modified")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = res.into_body().collect(usize::MAX).await.unwrap();
            (status, modified, body.len())
        })
    };
    let mut g = c.benchmark_group("files");
    for (name, size) in [("1k.bin", 1024), ("64k.bin", 64 * 1024)] {
        for side in ["kiln", "tower"] {
            let path = format!("/{name}");
            let (status, etag, len) = send(side, &path, None);
            assert_eq!((status, len), (StatusCode::OK, size), "{path}");
            g.bench_function(format!("{side}/{name}"), |b| {
                b.iter(|| send(side, &path, None));
            });
            let etag = etag.unwrap();
            assert_eq!(
                send(side, &path, Some(&etag)).0,
                StatusCode::NOT_MODIFIED,
                "{path}"
            );
            g.bench_function(format!("{side}/{name}/304"), |b| {
                b.iter(|| send(side, &path, Some(&etag)));
            });
        }
    }
    g.finish();
}

/// A directory with the two files, under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("kiln-bench-files-criterion");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, size) in [("1k.bin", 1024usize), ("64k.bin", 64 * 1024)] {
        let data: Vec<u8> = (0..size).map(|i| (i % 251).to_le_bytes()[0]).collect();
        std::fs::write(dir.join(name), data).unwrap();
    }
    dir
}

criterion_group!(benches, bench);
criterion_main!(benches);
