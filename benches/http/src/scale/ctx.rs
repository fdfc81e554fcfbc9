//! The state a run's sections share: ports, skips, results, and starting,
//! checking and loading one server.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::super::check;
use super::super::launch::{self, Pinning, Server, Start, StartError};
use super::super::procfs;
use super::super::wrk;
use super::{Options, ScaleResults, Section, Skip, Target, save};

/// The state of one run, shared by the sections.
pub struct Ctx<'a> {
    /// The options.
    pub opts: &'a Options,
    /// Where servers and load run.
    pub pin: Pinning,
    pub(super) servers: PathBuf,
    /// Scratch directory (stderr files, wrk scripts).
    pub scratch: PathBuf,
    pub(super) next_port: u16,
    /// Everything measured so far.
    pub results: ScaleResults,
}

/// How a section starts its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Launch {
    /// Worker threads.
    pub workers: usize,
    /// `--h2c`.
    pub h2c: bool,
    /// Pin to the server CPU (else not pinned).
    pub pinned: bool,
}

impl Launch {
    /// One worker, pinned, HTTP/1.1 as in `bench`.
    pub const PINNED: Launch = Launch {
        workers: 1,
        h2c: false,
        pinned: true,
    };
}

impl Ctx<'_> {
    fn port(&mut self) -> u16 {
        let port = self.next_port;
        self.next_port = if self.next_port > self.opts.base_port + 400 {
            self.opts.base_port
        } else {
            self.next_port + 2
        };
        port
    }

    /// Whether `t`'s server cannot run at all (unsupported or not built):
    /// later sections leave it out. A failure in one section does not.
    #[must_use]
    pub fn skipped(&self, t: &Target) -> bool {
        self.results.skipped.iter().any(|s| {
            s.framework == t.framework
                && s.scenario == t.scenario
                && matches!(s.kind.as_str(), "unsupported" | "unavailable")
        })
    }

    /// Records that `t` was not measured in `section`.
    pub fn skip(&mut self, t: &Target, section: Section, kind: &str, reason: String) {
        eprintln!(
            "scale: skip {} {} ({section}): {kind}: {reason}",
            t.framework, t.scenario
        );
        self.results.skipped.push(Skip {
            framework: t.framework.clone(),
            scenario: t.scenario,
            section,
            kind: kind.to_owned(),
            reason,
        });
    }

    /// The server's start: binary, arguments, port and stderr file.
    fn start_of(
        &mut self,
        t: &Target,
        how: Launch,
    ) -> Result<(PathBuf, Vec<String>, u16, PathBuf), String> {
        let binary = self.servers.join(format!("server_{}", t.framework));
        if !binary.exists() {
            return Err(format!("{} not built", binary.display()));
        }
        let port = self.port();
        let mut args = vec![
            "--scenario".to_owned(),
            t.scenario.name().to_owned(),
            "--port".to_owned(),
            port.to_string(),
            "--workers".to_owned(),
            how.workers.to_string(),
        ];
        if how.h2c {
            args.push("--h2c".into());
        }
        let stderr = self.scratch.join(format!("server-{}.stderr", t.framework));
        Ok((binary, args, port, stderr))
    }

    /// Starts `t`'s server and returns it once its port is listening, with
    /// the time from spawn to `ready` returning true (polled every
    /// `every`). `None` when it did not come up (recorded as a skip).
    pub fn launch_until(
        &mut self,
        t: &Target,
        section: Section,
        how: Launch,
        every: std::time::Duration,
        mut ready: impl FnMut(u16) -> bool,
    ) -> Option<(Server, std::time::Duration)> {
        let (binary, args, port, stderr) = match self.start_of(t, how) {
            Ok(s) => s,
            Err(why) => {
                self.skip(t, section, "unavailable", why);
                return None;
            }
        };
        let start = Start {
            binary: &binary,
            args,
            port,
            cpu: if how.pinned { self.pin.server } else { None },
            stderr: &stderr,
            env: Vec::new(),
        };
        let t0 = Instant::now();
        let result = launch::spawn(&start).and_then(|mut server| {
            launch::wait_until(
                &mut server,
                &stderr,
                std::time::Duration::from_secs(20),
                every,
                || ready(port),
            )
            .map(|()| (server, t0.elapsed()))
        });
        match result {
            Ok(ok) => Some(ok),
            Err(e) => {
                let kind = match e {
                    StartError::Unsupported(_) => "unsupported",
                    StartError::Failed(_) => "error",
                };
                let why = match e {
                    StartError::Unsupported(w) | StartError::Failed(w) => w,
                };
                self.skip(t, section, kind, why);
                None
            }
        }
    }

    /// Starts `t`'s server, waits until it accepts connections, and checks
    /// its response against the reference. `None` when it did not come up
    /// or answered wrongly (recorded as a skip).
    pub fn launch(&mut self, t: &Target, section: Section, how: Launch) -> Option<Server> {
        let (server, _) = self.launch_until(
            t,
            section,
            how,
            std::time::Duration::from_millis(20),
            procfs::listening,
        )?;
        if let Err(why) = check::check_request(server.port, &t.request) {
            self.skip(t, section, "check-failed", why);
            return None;
        }
        Some(server)
    }

    /// Writes the `wrk` script of `t`'s request and returns its path.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn wrk_script(&self, t: &Target) -> Result<PathBuf, String> {
        let path = self
            .scratch
            .join(format!("{}-{}.lua", t.framework, t.scenario));
        fs::write(&path, wrk::script(&t.request.headers))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Runs `wrk` (one thread) against `t`'s request on `server`.
    ///
    /// # Errors
    /// When `wrk` fails.
    pub fn wrk(
        &self,
        server: &Server,
        t: &Target,
        script: &Path,
        cpu: Option<usize>,
        connections: u32,
        seconds: u32,
    ) -> Result<wrk::WrkOutput, String> {
        let url = format!("http://127.0.0.1:{}{}", server.port, t.request.path);
        wrk::run(&wrk::WrkRun {
            cpu,
            connections,
            seconds,
            script,
            url: &url,
        })
    }

    pub(super) fn save(&self) -> Result<(), String> {
        save(&self.results, &self.opts.out_dir.join("scale.json"))
    }
}
