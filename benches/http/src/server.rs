//! What every peer server binary shares: its command line, the "unsupported"
//! exit, the access-log sink and the tokio runtime.
//!
//! `server_<framework> --scenario <name> --port <p> [--workers N] [--depth N] [--db postgres|sqlite] [--limiter none|local|redis] [--h2c]`
//! binds `127.0.0.1:<p>` only. `--h2c` also accepts cleartext HTTP/2 (prior
//! knowledge) on the same port; without it the servers are served exactly as
//! the `bench` tables measure them. A scenario a server does not implement makes it
//! exit with [`EXIT_UNSUPPORTED`] and a one-line reason on stderr, which the
//! harness records as a skip.

use std::io;
use std::process::ExitCode;

use super::alloc;
use super::fixtures::MAX_DEPTH;
use super::ratelimit::Limiter;
use super::scenario::Scenario;
use super::tfb::DbKind;

/// Exit code of a server asked for a scenario it does not implement.
pub const EXIT_UNSUPPORTED: u8 = 2;
/// Exit code of a server given a bad command line.
pub const EXIT_USAGE: u8 = 64;

/// A server's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// The scenario to serve.
    pub scenario: Scenario,
    /// The port on 127.0.0.1.
    pub port: u16,
    /// Runtime worker threads (tokio workers, actix workers).
    pub workers: usize,
    /// Middleware count for `middleware-depth`.
    pub depth: usize,
    /// The database of `db` and `tx` (`--db`, default Postgres).
    pub db: DbKind,
    /// The limiter of `ratelimit-redis` (`--limiter`, default none).
    pub limiter: Limiter,
    /// `--h2c`: serve cleartext HTTP/2 with prior knowledge beside HTTP/1.1
    /// (kiln and axum always detect it; actix-web and bare hyper only with it).
    pub h2c: bool,
}

impl ServerArgs {
    /// Parses `--scenario <name> --port <p> [--workers N] [--depth N] [--h2c]`.
    ///
    /// # Errors
    /// A message naming the bad or missing argument.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Self, String> {
        let mut scenario = None;
        let mut port = None;
        let mut workers = 1;
        let mut depth = 1;
        let mut db = DbKind::Postgres;
        let mut limiter = Limiter::None;
        let mut h2c = false;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--scenario" => scenario = Some(value()?.parse::<Scenario>()?),
                "--port" => port = Some(value()?.parse().map_err(|e| format!("--port: {e}"))?),
                "--workers" => workers = value()?.parse().map_err(|e| format!("--workers: {e}"))?,
                "--depth" => depth = value()?.parse().map_err(|e| format!("--depth: {e}"))?,
                "--db" => db = value()?.parse()?,
                "--limiter" => limiter = value()?.parse()?,
                "--h2c" => h2c = true,
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        if workers == 0 {
            return Err("--workers must be at least 1".into());
        }
        if depth == 0 || depth > MAX_DEPTH {
            return Err(format!("--depth must be 1..={MAX_DEPTH}"));
        }
        Ok(ServerArgs {
            scenario: scenario.ok_or("--scenario is required")?,
            port: port.ok_or("--port is required")?,
            workers,
            depth,
            db,
            limiter,
            h2c,
        })
    }
}

/// Why a server did not serve.
#[derive(Debug)]
pub enum ServeError {
    /// The scenario is not implemented by this framework's server.
    Unsupported(String),
    /// Binding or serving failed.
    Io(io::Error),
}

impl From<io::Error> for ServeError {
    fn from(e: io::Error) -> Self {
        ServeError::Io(e)
    }
}

/// The common `main` of a server binary: parses arguments, switches on
/// allocation counting when asked, runs `serve`, and maps the outcome to the
/// exit code the harness expects.
pub fn main_with(framework: &str, serve: fn(&ServerArgs) -> Result<(), ServeError>) -> ExitCode {
    let args = match ServerArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("server_{framework}: {e}");
            eprintln!(
                "usage: server_{framework} --scenario <basic|middleware|middleware-depth|di|files|compression|db|tx|cache|ratelimit-redis|validation|async|realworld|shop> --port <p> [--workers N] [--depth N] [--db postgres|sqlite] [--limiter none|local|redis] [--h2c]"
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let Err(e) = alloc::serve_count_from_env() {
        eprintln!("server_{framework}: allocation counter: {e}");
        return ExitCode::FAILURE;
    }
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Unsupported(why)) => {
            eprintln!("unsupported: {why}");
            ExitCode::from(EXIT_UNSUPPORTED)
        }
        Err(ServeError::Io(e)) => {
            eprintln!("server_{framework}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the access-log sink: a `tracing` fmt subscriber at INFO writing to
/// `std::io::sink` (records are formatted, then discarded). It also bridges
/// `log` records (actix-web's `Logger`) into the same subscriber.
pub fn init_access_log() {
    let _ = tracing_subscriber::fmt()
        .with_writer(io::sink)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// kiln's access-log sink: what a kiln app would install, kiln's
/// `AccessLogLayer` for the access log (logfmt lines into `std::io::sink`)
/// and the same fmt layer as the peers for every other event, at INFO.
pub fn init_kiln_access_log() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, filter::LevelFilter};
    let subscriber = tracing_subscriber::registry()
        .with(kiln::builtin::AccessLogLayer::new(io::sink))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(io::sink)
                .with_filter(kiln::builtin::skip_access_log()),
        )
        .with(LevelFilter::INFO);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Set to a number of scheduler ticks: the tokio runtime's `event_interval`
/// (tokio's default is 61). For experiments only; no benchmark sets it.
pub const EVENT_INTERVAL_ENV: &str = "KILN_BENCH_EVENT_INTERVAL";

/// A multi-thread tokio runtime with `workers` worker threads: what
/// `#[tokio::main]` builds, so every tokio server runs as its users' would.
/// [`EVENT_INTERVAL_ENV`] changes how often it polls for I/O (see "Tail under
/// many connections" in BENCHMARKS.md).
///
/// # Errors
/// When the runtime cannot be built, or [`EVENT_INTERVAL_ENV`] is not a number.
pub fn tokio_runtime(workers: usize) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(workers).enable_all();
    if let Ok(ticks) = std::env::var(EVENT_INTERVAL_ENV) {
        let ticks = ticks.parse().map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{EVENT_INTERVAL_ENV}: {e}"),
            )
        })?;
        builder.event_interval(ticks);
    }
    builder.build()
}

/// Binds `127.0.0.1:<port>` with `TCP_NODELAY` on accepted sockets left to the caller.
///
/// # Errors
/// When the port cannot be bound.
pub async fn bind(port: u16) -> io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", port)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ServerArgs, String> {
        ServerArgs::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_arguments() {
        let a = parse("--scenario middleware-depth --port 9000 --depth 5").unwrap();
        assert_eq!(a.scenario, Scenario::MiddlewareDepth);
        assert_eq!((a.port, a.workers, a.depth, a.h2c), (9000, 1, 5, false));
        assert!(parse("--scenario basic --port 1 --h2c").unwrap().h2c);
        assert!(parse("--port 1").is_err());
        assert!(parse("--scenario basic --port 1 --depth 21").is_err());
        assert!(parse("--scenario basic --port 1 --bogus").is_err());
    }
}
