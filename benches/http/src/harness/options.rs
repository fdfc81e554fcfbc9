//! The `bench` command line: scenarios, frameworks and the run's shape.

use std::path::PathBuf;

use super::super::cli::{list, number};
use super::super::machine;
use super::super::scenario::Scenario;
use super::FRAMEWORKS;

/// The `bench` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// Frameworks to run.
    pub frameworks: Vec<String>,
    /// The short mode: one round, one connection count, short runs.
    pub quick: bool,
    /// Where the JSON goes.
    pub out: PathBuf,
    /// Rounds.
    pub rounds: u32,
    /// Seconds per timed run.
    pub duration_s: u32,
    /// Seconds of warm-up per endpoint.
    pub warmup_s: u32,
    /// Connection counts.
    pub connections: Vec<u32>,
    /// Seconds of each allocation-counting run.
    pub alloc_s: u32,
    /// Server worker threads.
    pub workers: usize,
    /// Build the servers with cargo first.
    pub build: bool,
    /// Where the `server_*` binaries are (default: `<target>/release`).
    pub server_dir: Option<PathBuf>,
    /// First port to use (each server start takes two).
    pub base_port: u16,
}

/// The usage text.
pub const USAGE: &str = "\
usage: bench [--scenario all|basic|middleware|middleware-depth|di|files|compression|db|tx|cache|ratelimit-redis|tasks|validation|async|realworld|shop[,..]] [--quick]
             [--frameworks kiln,axum,actix,hyper,nginx] [--out results.json]
             [--rounds N] [--duration S] [--warmup S] [--connections 16,64,256]
             [--alloc-duration S] [--workers N] [--no-build] [--server-dir DIR] [--port P]";

impl Options {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A message naming the bad argument.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
        let mut scenarios = Scenario::ALL.to_vec();
        let mut frameworks: Vec<String> = FRAMEWORKS.iter().map(|s| (*s).to_owned()).collect();
        let mut quick = false;
        let mut out = machine::workspace_root().join("benches/results/results.json");
        let (mut rounds, mut duration, mut warmup, mut conns, mut alloc_s) =
            (None, None, None, None, None);
        let mut workers = 1;
        let mut build = true;
        let mut server_dir = None;
        let mut base_port = 18_080;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--scenario" | "--scenarios" => {
                    let v = value()?;
                    scenarios = if v == "all" {
                        Scenario::ALL.to_vec()
                    } else {
                        list(&v).map(str::parse).collect::<Result<_, _>>()?
                    };
                }
                "--frameworks" | "--framework" => {
                    let v = value()?;
                    frameworks = list(&v).map(str::to_owned).collect();
                    if let Some(bad) = frameworks
                        .iter()
                        .find(|f| !FRAMEWORKS.contains(&f.as_str()))
                    {
                        return Err(format!(
                            "unknown framework `{bad}` ({})",
                            FRAMEWORKS.join(", ")
                        ));
                    }
                }
                "--quick" => quick = true,
                "--out" => out = PathBuf::from(value()?),
                "--rounds" => rounds = Some(number(&flag, &value()?)?),
                "--duration" => duration = Some(number(&flag, &value()?)?),
                "--warmup" => warmup = Some(number(&flag, &value()?)?),
                "--alloc-duration" => alloc_s = Some(number(&flag, &value()?)?),
                "--connections" => {
                    let v = value()?;
                    conns = Some(
                        list(&v)
                            .map(|c| number(&flag, c))
                            .collect::<Result<Vec<u32>, _>>()?,
                    );
                }
                "--workers" => workers = number(&flag, &value()?)?,
                "--no-build" => build = false,
                "--server-dir" => server_dir = Some(PathBuf::from(value()?)),
                "--port" => base_port = number(&flag, &value()?)?,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let connections = conns.unwrap_or_else(|| if quick { vec![64] } else { vec![16, 64, 256] });
        if scenarios.is_empty() || frameworks.is_empty() || connections.is_empty() {
            return Err("nothing to run".into());
        }
        Ok(Options {
            scenarios,
            frameworks,
            quick,
            out,
            rounds: rounds.unwrap_or(if quick { 1 } else { 3 }).max(1),
            duration_s: duration.unwrap_or(if quick { 2 } else { 5 }).max(1),
            warmup_s: warmup.unwrap_or(if quick { 0 } else { 2 }),
            connections,
            alloc_s: alloc_s.unwrap_or(if quick { 1 } else { 2 }).max(1),
            workers,
            build,
            server_dir,
            base_port,
        })
    }

    /// The connection count of the allocation-counting runs: 64 if measured,
    /// else the first.
    #[must_use]
    pub fn alloc_connections(&self) -> u32 {
        if self.connections.contains(&64) {
            64
        } else {
            self.connections[0]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Options, String> {
        Options::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn quick_defaults_and_overrides() {
        let o = parse("--quick --scenario basic --frameworks axum,hyper").unwrap();
        assert_eq!(o.scenarios, vec![Scenario::Basic]);
        assert_eq!(o.frameworks, vec!["axum", "hyper"]);
        assert_eq!(
            (o.rounds, o.duration_s, o.connections.clone()),
            (1, 2, vec![64])
        );
        let o = parse("--scenario middleware,di --connections 8,32 --rounds 2").unwrap();
        assert_eq!(o.scenarios, vec![Scenario::Middleware, Scenario::Di]);
        assert_eq!((o.rounds, o.alloc_connections()), (2, 8));
        assert!(parse("--frameworks rocket").is_err());
        assert!(parse("--scenario nope").is_err());
        assert_eq!(
            parse("--scenario all").unwrap().scenarios.len(),
            Scenario::ALL.len()
        );
    }
}
