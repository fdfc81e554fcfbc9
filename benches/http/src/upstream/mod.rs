//! The `async` scenario (issue 12; the module can't be named `async`): a
//! handler that awaits three calls to a local upstream concurrently
//! (`/concurrent`) and one after the other (`/sequential`), and one that runs
//! about 200 µs of hashing on the blocking pool (`/blocking`).
//!
//! The harness starts the upstream ([`Upstream`], a hyper server in the
//! `bench` process answering every request after [`DELAY`]) and hands its
//! address to the servers in [`UPSTREAM_ENV`]. Every framework calls it with
//! the same client, [`Calls`] (hyper-util's pooled client, keep-alive), so
//! the rows differ only by the framework: the concurrent handler should take
//! about one delay (5 ms), the sequential one about three (15 ms).

use std::convert::Infallible;
use std::hash::{DefaultHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::fixtures::TEXT;
use super::scenario::{Case, Expect, HeaderRule, Request, Scenario};

pub mod actix;
pub mod axum;
pub mod kiln;

/// The environment variable with the upstream's `host:port`.
pub const UPSTREAM_ENV: &str = "KILN_BENCH_UPSTREAM";

/// How long the upstream waits before it answers.
pub const DELAY: Duration = Duration::from_millis(5);

/// The upstream paths each handler calls, in order.
pub const PATHS: [&str; 3] = ["/a", "/b", "/c"];

/// Rounds of [`blocking_work`]: 4 KiB hashed per round, meant as about
/// 200 µs in a release build (an estimate, not yet measured alone).
pub const HASH_ROUNDS: u32 = 100;

/// The upstream server, serving on its own thread until the process exits.
#[derive(Debug)]
pub struct Upstream {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
}

impl Upstream {
    /// Binds 127.0.0.1 on a free port and serves on a new thread (one
    /// current-thread runtime: the work is a timer per request).
    ///
    /// # Errors
    /// When binding or building the runtime fails.
    pub fn start() -> io::Result<Upstream> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("upstream".into())
            .spawn(move || rt.block_on(serve(listener)))?;
        Ok(Upstream { addr })
    }
}

async fn serve(listener: std::net::TcpListener) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                tokio::time::sleep(DELAY).await;
                let body =
                    Bytes::copy_from_slice(req.uri().path().trim_start_matches('/').as_bytes());
                Ok::<_, Infallible>(hyper::Response::new(Full::new(body)))
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// The client every framework's handlers call the upstream with.
#[derive(Debug, Clone)]
pub struct Calls {
    client: Client<HttpConnector, Empty<Bytes>>,
    base: String,
}

impl Calls {
    /// A client of the upstream at `addr` (`host:port`).
    #[must_use]
    pub fn new(addr: &str) -> Calls {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Calls {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: format!("http://{addr}"),
        }
    }

    /// A client of the upstream named by [`UPSTREAM_ENV`].
    ///
    /// # Errors
    /// When the variable is not set.
    pub fn from_env() -> io::Result<Calls> {
        let addr = std::env::var(UPSTREAM_ENV)
            .map_err(|_| io::Error::other(format!("{UPSTREAM_ENV} is not set")))?;
        Ok(Calls::new(&addr))
    }

    /// One call: `GET path`, its body.
    ///
    /// # Errors
    /// When the request fails or the upstream answers other than 200.
    pub async fn fetch(&self, path: &str) -> Result<Bytes, String> {
        let uri: hyper::Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let res = self.client.get(uri).await.map_err(|e| e.to_string())?;
        if res.status() != hyper::StatusCode::OK {
            return Err(format!("upstream answered {}", res.status()));
        }
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?;
        Ok(body.to_bytes())
    }

    /// The three calls at once.
    ///
    /// # Errors
    /// The first failing call's.
    pub async fn concurrent(&self) -> Result<String, String> {
        let (a, b, c) = tokio::try_join!(
            self.fetch(PATHS[0]),
            self.fetch(PATHS[1]),
            self.fetch(PATHS[2])
        )?;
        Ok(joined(&[a, b, c]))
    }

    /// The three calls one after the other.
    ///
    /// # Errors
    /// The first failing call's.
    pub async fn sequential(&self) -> Result<String, String> {
        let a = self.fetch(PATHS[0]).await?;
        let b = self.fetch(PATHS[1]).await?;
        let c = self.fetch(PATHS[2]).await?;
        Ok(joined(&[a, b, c]))
    }
}

fn joined(parts: &[Bytes]) -> String {
    let parts: Vec<_> = parts.iter().map(|p| String::from_utf8_lossy(p)).collect();
    format!("{}\n", parts.join("+"))
}

/// What `/concurrent` and `/sequential` answer: the upstream bodies joined.
#[must_use]
pub fn reply() -> String {
    let parts: Vec<_> = PATHS.iter().map(|p| p.trim_start_matches('/')).collect();
    format!("{}\n", parts.join("+"))
}

/// The blocking handler's body: SipHash (std's `DefaultHasher`, fixed keys)
/// over [`HASH_ROUNDS`] × 4 KiB, then its digest as text. Meant for
/// `spawn_blocking`: it never yields.
#[must_use]
pub fn blocking_work() -> String {
    let block = std::hint::black_box([0x5a_u8; 4096]);
    let mut h = DefaultHasher::new();
    for i in 0..HASH_ROUNDS {
        h.write_u32(i);
        h.write(&block);
    }
    format!("hashed {:016x}\n", h.finish())
}

fn get(name: &str, path: &str, body: String) -> Request {
    Request {
        name: name.to_owned(),
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
        expect: Expect {
            status: 200,
            body: Some(body),
            headers: vec![("content-type".into(), HeaderRule::Exact(TEXT.into()))],
        },
    }
}

/// The `async` scenario's one case.
#[must_use]
pub fn case() -> Case {
    Case {
        scenario: Scenario::Async,
        variant: None,
        server_args: Vec::new(),
        endpoints: vec![
            get("concurrent", "/concurrent", reply()),
            get("sequential", "/sequential", reply()),
            get("blocking", "/blocking", blocking_work()),
        ],
        checks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_reads_the_upstream_both_ways() {
        let up = Upstream::start().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let calls = Calls::new(&up.addr.to_string());
        let started = std::time::Instant::now();
        assert_eq!(rt.block_on(calls.concurrent()).unwrap(), reply());
        assert_eq!(rt.block_on(calls.sequential()).unwrap(), reply());
        // At least one delay, then at least three: the upstream does wait.
        assert!(started.elapsed() >= DELAY * 4);
        assert_eq!(blocking_work(), blocking_work());
    }
}
