//! A throwaway `redis-server` for the tests that need one, and a raw RESP
//! client to poke at its keys. Without `redis-server` on the PATH a test
//! skips loudly, except in CI (`CI` or `KILN_REQUIRE_SERVICES=1`), where it
//! fails.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a local port, killed on drop.
pub(crate) struct Redis {
    child: Child,
    pub(crate) port: u16,
}

impl Redis {
    /// Starts one on a free port; `None` (after a SKIP line) when
    /// `redis-server` cannot run and services are not required.
    pub(crate) fn start(test: &str) -> Option<Redis> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Redis::on(port, test)
    }

    /// Starts one on `port` (to restart a killed one where clients expect it).
    pub(crate) fn on(port: u16, test: &str) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if required() => panic!(
                "{test}: cannot run redis-server ({e}); CI / KILN_REQUIRE_SERVICES=1 require it \
                 (`apt-get install redis-server`)"
            ),
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIP {test}: cannot run redis-server ({e}); install it (`apt-get install redis-server`)"
                );
                return None;
            }
        };
        let redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs one command on a connection of its own and returns the reply:
    /// the line of a status, error or integer (`+OK`, `-ERR ..`, `:12`), the
    /// bytes of a bulk string as text, `(nil)` for a missing one.
    pub(crate) fn command(&self, args: &[&str]) -> String {
        use std::fmt::Write as _;
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            let _ = write!(req, "${}\r\n{a}\r\n", a.len());
        }
        stream.write_all(req.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_owned();
        match line.strip_prefix('$') {
            Some("-1") => "(nil)".to_owned(),
            Some(len) => {
                let mut body = vec![0; len.parse::<usize>().unwrap() + 2];
                reader.read_exact(&mut body).unwrap();
                body.truncate(body.len() - 2);
                String::from_utf8(body).unwrap()
            }
            None => line,
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a missing service fails the test instead of skipping it.
pub(crate) fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var("KILN_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}
