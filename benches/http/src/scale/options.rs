//! The `scale` command line: which sections and frameworks, and the shape
//! of each section's runs.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::super::cli::{list, number};
use super::super::machine;
use super::FRAMEWORKS;

/// One part of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Startup, idle RSS, idle latency.
    Baseline,
    /// The connection sweep.
    Sweep,
    /// 1,000 connections on an idle server.
    Spike,
    /// HTTP/2 with h2load.
    H2,
    /// One and two worker threads.
    Workers,
}

impl Section {
    /// Every section, in run and report order.
    pub const ALL: [Section; 5] = [
        Section::Baseline,
        Section::Sweep,
        Section::Spike,
        Section::H2,
        Section::Workers,
    ];

    /// The command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Section::Baseline => "baseline",
            Section::Sweep => "sweep",
            Section::Spike => "spike",
            Section::H2 => "h2",
            Section::Workers => "workers",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Section {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Section::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| format!("unknown section `{s}` (baseline, sweep, spike, h2, workers)"))
    }
}

/// The `scale` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Sections to run.
    pub sections: Vec<Section>,
    /// Frameworks to run.
    pub frameworks: Vec<String>,
    /// The smoke mode: short runs, fewer steps.
    pub quick: bool,
    /// Where `scale.json` and `REPORT.md` go.
    pub out_dir: PathBuf,
    /// Seconds per timed run (sweep step, h2load run, workers run).
    pub duration_s: u32,
    /// Seconds of warm-up before a server's timed runs.
    pub warmup_s: u32,
    /// The sweep's connection counts.
    pub connections: Vec<u32>,
    /// Connections of the spike.
    pub spike_connections: u32,
    /// Seconds of the spike's `wrk` run.
    pub spike_s: u32,
    /// Timed sequential requests of the idle-latency probe.
    pub latency_requests: u32,
    /// Pause between two of them, milliseconds.
    pub pause_ms: u32,
    /// Launches timed for the startup time.
    pub startups: u32,
    /// Connections of the `workers` runs.
    pub worker_connections: u32,
    /// HTTP/2 connections of the h2load runs.
    pub h2_connections: u32,
    /// Concurrent streams per HTTP/2 connection.
    pub h2_streams: u32,
    /// Build the servers with cargo first.
    pub build: bool,
    /// Where the `server_*` binaries are (default: `<target>/release`).
    pub server_dir: Option<PathBuf>,
    /// First port to use (each server start takes two).
    pub base_port: u16,
    /// Only write the report from an existing `scale.json`.
    pub report_from: Option<PathBuf>,
}

/// The usage text.
pub const USAGE: &str = "\
usage: scale [--quick] [--sections baseline,sweep,spike,h2,workers] [--frameworks kiln,axum,actix,hyper]
             [--out-dir benches/results/scale] [--duration S] [--warmup S] [--connections 1,10,64,256,512,1000]
             [--spike-connections N] [--spike-duration S] [--latency-requests N] [--pause-ms MS]
             [--startups N] [--worker-connections N] [--h2-connections N] [--h2-streams N]
             [--no-build] [--server-dir DIR] [--port P]
       scale --report-from scale.json [--out-dir DIR]";

impl Options {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A message naming the bad argument.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, String> {
        let mut o = Options {
            sections: Section::ALL.to_vec(),
            frameworks: FRAMEWORKS.iter().map(|s| (*s).to_owned()).collect(),
            quick: false,
            out_dir: machine::workspace_root().join("benches/results/scale"),
            duration_s: 5,
            warmup_s: 2,
            connections: vec![1, 10, 64, 256, 512, 1000],
            spike_connections: 1000,
            spike_s: 1,
            latency_requests: 1000,
            pause_ms: 2,
            startups: 5,
            worker_connections: 64,
            h2_connections: 4,
            h2_streams: 100,
            build: true,
            server_dir: None,
            base_port: 19_080,
            report_from: None,
        };
        let (mut duration, mut warmup, mut conns, mut latency, mut startups) =
            (None, None, None, None, None);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--quick" => o.quick = true,
                "--sections" | "--section" => {
                    o.sections = list(&value()?).map(str::parse).collect::<Result<_, _>>()?;
                }
                "--frameworks" | "--framework" => {
                    o.frameworks = list(&value()?).map(str::to_owned).collect();
                    if let Some(bad) = o
                        .frameworks
                        .iter()
                        .find(|f| !FRAMEWORKS.contains(&f.as_str()))
                    {
                        return Err(format!(
                            "unknown framework `{bad}` ({})",
                            FRAMEWORKS.join(", ")
                        ));
                    }
                }
                "--out-dir" => o.out_dir = PathBuf::from(value()?),
                "--duration" => duration = Some(number(&flag, &value()?)?),
                "--warmup" => warmup = Some(number(&flag, &value()?)?),
                "--connections" => {
                    conns = Some(
                        list(&value()?)
                            .map(|c| number(&flag, c))
                            .collect::<Result<Vec<u32>, _>>()?,
                    );
                }
                "--spike-connections" => o.spike_connections = number(&flag, &value()?)?,
                "--spike-duration" => o.spike_s = number(&flag, &value()?)?,
                "--latency-requests" => latency = Some(number(&flag, &value()?)?),
                "--pause-ms" => o.pause_ms = number(&flag, &value()?)?,
                "--startups" => startups = Some(number(&flag, &value()?)?),
                "--worker-connections" => o.worker_connections = number(&flag, &value()?)?,
                "--h2-connections" => o.h2_connections = number(&flag, &value()?)?,
                "--h2-streams" => o.h2_streams = number(&flag, &value()?)?,
                "--no-build" => o.build = false,
                "--server-dir" => o.server_dir = Some(PathBuf::from(value()?)),
                "--port" => o.base_port = number(&flag, &value()?)?,
                "--report-from" => o.report_from = Some(PathBuf::from(value()?)),
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let quick = o.quick;
        o.duration_s = duration.unwrap_or(if quick { 1 } else { 5 }).max(1);
        o.warmup_s = warmup.unwrap_or(if quick { 0 } else { 2 });
        o.connections = conns.unwrap_or_else(|| {
            if quick {
                vec![1, 64, 1000]
            } else {
                vec![1, 10, 64, 256, 512, 1000]
            }
        });
        o.latency_requests = latency.unwrap_or(if quick { 200 } else { 1000 }).max(1);
        o.startups = startups.unwrap_or(if quick { 2 } else { 5 }).max(1);
        o.spike_s = o.spike_s.max(1);
        if o.sections.is_empty() || o.frameworks.is_empty() || o.connections.is_empty() {
            return Err("nothing to run".into());
        }
        if o.connections.contains(&0) || o.spike_connections == 0 || o.worker_connections == 0 {
            return Err("connection counts must be at least 1".into());
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Options, String> {
        Options::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn defaults_quick_and_overrides() {
        let o = parse("").unwrap();
        assert_eq!(o.connections, vec![1, 10, 64, 256, 512, 1000]);
        assert_eq!((o.duration_s, o.latency_requests, o.startups), (5, 1000, 5));
        assert_eq!(o.sections, Section::ALL.to_vec());
        let q = parse("--quick --frameworks kiln,hyper --sections h2,sweep").unwrap();
        assert_eq!((q.duration_s, q.warmup_s, q.latency_requests), (1, 0, 200));
        assert_eq!(q.frameworks, vec!["kiln", "hyper"]);
        assert_eq!(q.sections, vec![Section::H2, Section::Sweep]);
        let o = parse("--quick --duration 3 --connections 8,16").unwrap();
        assert_eq!((o.duration_s, o.connections.clone()), (3, vec![8, 16]));
        assert!(parse("--frameworks nginx").is_err());
        assert!(parse("--sections nope").is_err());
        assert!(parse("--connections 0").is_err());
        assert!(parse("--bogus").is_err());
    }
}
