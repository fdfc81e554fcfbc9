//! The `ratelimit-redis` scenario (issue 14): `GET /` (hello) with no
//! limiter, behind the in-process limiter (kiln's `RateLimit`; axum with
//! tower-governor) and behind kiln's `RedisRateLimit`, one case each
//! (`--limiter none|local|redis`), so the cost of each is the difference to
//! `none`. The harness starts a `redis-server` for the run and counts its
//! CPU with the server's, as it does Postgres's for `db`.
//!
//! A static route rather than the `cache` scenario's 1 ms handler: a check
//! costs microseconds, which a millisecond of work would bury.

use std::fmt;
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub mod axum;
pub mod kiln;

/// Environment variable: the Redis URL the harness gives the servers.
pub const REDIS_URL_ENV: &str = "KILN_BENCH_REDIS_URL";
/// The port of the `redis-server` the harness starts (the tests use free ports).
pub const BENCH_REDIS_PORT: u16 = 56_390;

/// Every limiter's quota: a request per microsecond with a burst of a
/// million, so nothing is refused in a run while every check does its
/// full work. Not 1 ns as in `middleware`: the Redis script counts in µs.
pub const PERIOD: Duration = Duration::from_micros(1);
/// The burst of [`PERIOD`]'s quota.
pub const BURST: u32 = 1_000_000;

/// Which limiter guards `GET /` (the server's `--limiter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Limiter {
    /// None: the baseline.
    #[default]
    None,
    /// In process: kiln's `RateLimit`, axum's tower-governor (both governor).
    Local,
    /// kiln's `RedisRateLimit` (one `EVALSHA` per request).
    Redis,
}

impl Limiter {
    /// Every limiter, in report order.
    pub const ALL: [Limiter; 3] = [Limiter::None, Limiter::Local, Limiter::Redis];

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Limiter::None => "none",
            Limiter::Local => "local",
            Limiter::Redis => "redis",
        }
    }
}

impl fmt::Display for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Limiter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Limiter::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| format!("unknown limiter `{s}` (none, local, redis)"))
    }
}

/// The Redis URL the harness set.
///
/// # Errors
/// When [`REDIS_URL_ENV`] is not set.
pub fn redis_url() -> std::io::Result<String> {
    std::env::var(REDIS_URL_ENV).map_err(|_| {
        std::io::Error::other(format!("{REDIS_URL_ENV} is not set (the harness sets it)"))
    })
}

/// The `redis-server` of a run, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    /// Its URL.
    pub url: String,
}

impl RedisServer {
    /// Starts `redis-server` on [`BENCH_REDIS_PORT`] (no persistence).
    ///
    /// # Errors
    /// When it is not installed or does not listen within 10 s.
    pub fn start() -> Result<RedisServer, String> {
        let port = BENCH_REDIS_PORT;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run redis-server ({e}); install it (`apt-get install redis-server`)"
                )
            })?;
        let server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("redis-server did not listen on {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// Its pid, whose CPU time counts with the server's.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
