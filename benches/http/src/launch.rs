//! Building and starting the peer servers: the release build in this
//! binary's target directory, where the server and the load generator run
//! (`taskset` pinning), and a server process that is killed when dropped.
//!
//! Shared by the `bench` harness and the `scale` binary. A server start is a
//! [`spawn`] (the process, on its CPU, with the allocation counter's side
//! port) and a wait until it accepts connections ([`start`] does both).

use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::alloc::ALLOC_PORT_ENV;
use super::machine;
use super::server::EXIT_UNSUPPORTED;

/// The cargo target directory this binary was built in.
///
/// # Errors
/// When the path of the running executable is unknown.
pub fn target_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return Ok(if dir.is_absolute() {
            dir
        } else {
            machine::workspace_root().join(dir)
        });
    }
    let exe = std::env::current_exe()?;
    // <target>/<profile>/bench, or <target>/<profile>/deps/bench-<hash>.
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.pop();
    Ok(dir)
}

/// `cargo build --release ARGS --target-dir TARGET` in the workspace.
///
/// # Errors
/// When cargo cannot run or the build fails.
pub fn release_build(target: &Path, args: &[&str]) -> Result<(), String> {
    eprintln!(
        "cargo build --release {} --target-dir {}",
        args.join(" "),
        target.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--release"])
        .args(args)
        .arg("--target-dir")
        .arg(target)
        .current_dir(machine::workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "cargo build --release {} failed ({status})",
            args.join(" ")
        ))
    }
}

/// Where the server and the load generator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinning {
    /// The server's CPU, if pinned.
    pub server: Option<usize>,
    /// The load generator's CPU, if pinned.
    pub load: Option<usize>,
}

/// Server on CPU 0 and load generator on CPU 1 when there are two CPUs and
/// `taskset`; neither pinned (with a warning) otherwise.
#[must_use]
pub fn pinning() -> Pinning {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let taskset = Command::new("taskset").arg("--version").output().is_ok();
    if cpus >= 2 && taskset {
        Pinning {
            server: Some(0),
            load: Some(1),
        }
    } else {
        eprintln!("warning: {cpus} CPU(s), taskset {taskset}: server and load are not pinned");
        Pinning {
            server: None,
            load: None,
        }
    }
}

/// `program` run by `taskset -c CPU` when `cpu` is set.
#[must_use]
pub fn pinned_command(cpu: Option<usize>, program: &Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Pins the calling thread (only it: not the process's other threads, nor
/// processes started before) to `cpu`, with `taskset -p` on its thread id.
///
/// # Errors
/// When the thread id cannot be read or `taskset` fails.
pub fn pin_this_thread(cpu: usize) -> Result<(), String> {
    // `/proc/thread-self` links to `<pid>/task/<tid>`.
    let link = fs::read_link("/proc/thread-self").map_err(|e| format!("/proc/thread-self: {e}"))?;
    let tid = link
        .file_name()
        .and_then(|t| t.to_str())
        .ok_or("no thread id in /proc/thread-self")?
        .to_owned();
    let out = Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), &tid])
        .output()
        .map_err(|e| format!("cannot run taskset: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "taskset -p -c {cpu} {tid}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A running server, killed when dropped.
#[derive(Debug)]
pub struct Server {
    /// The process (`taskset` execs the server, so this is the server's pid).
    pub child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The allocation counter's side port (`port + 1`).
    pub alloc_port: u16,
}

impl Server {
    /// The server's process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a server did not come up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// It exited with [`EXIT_UNSUPPORTED`]: the scenario is not implemented (its reason).
    Unsupported(String),
    /// It could not start, exited otherwise or did not listen in time.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Unsupported(why) => write!(f, "unsupported: {why}"),
            StartError::Failed(why) => f.write_str(why),
        }
    }
}

/// Everything one framework/case server start needs.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    /// The server binary.
    pub binary: &'a Path,
    /// The command line (the peers': `--scenario .. --port ..`).
    pub args: Vec<String>,
    /// Its port (the allocation counter takes the next one).
    pub port: u16,
    /// The CPU to pin it to.
    pub cpu: Option<usize>,
    /// Where its stderr goes (read for the reason when it exits).
    pub stderr: &'a Path,
    /// Extra environment variables.
    pub env: Vec<(&'static str, String)>,
}

/// Starts the server process without waiting for it to listen.
///
/// # Errors
/// When the stderr file cannot be made or the binary cannot run.
pub fn spawn(s: &Start<'_>) -> Result<Server, StartError> {
    let mut cmd = pinned_command(s.cpu, s.binary);
    let alloc_port = s.port + 1;
    let stderr = File::create(s.stderr).map_err(|e| StartError::Failed(e.to_string()))?;
    cmd.args(&s.args)
        .env(ALLOC_PORT_ENV, alloc_port.to_string())
        .envs(s.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let child = cmd
        .spawn()
        .map_err(|e| StartError::Failed(format!("cannot start {}: {e}", s.binary.display())))?;
    Ok(Server {
        child,
        port: s.port,
        alloc_port,
    })
}

/// Polls `ready` every `every` until it returns true, the server exits (an
/// error naming why, from its stderr file) or `timeout` passes.
///
/// # Errors
/// [`StartError::Unsupported`] when the server exited with
/// [`EXIT_UNSUPPORTED`], [`StartError::Failed`] when it exited otherwise or
/// `ready` stayed false.
pub fn wait_until(
    server: &mut Server,
    stderr: &Path,
    timeout: Duration,
    every: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), StartError> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            let msg = fs::read_to_string(stderr)
                .unwrap_or_default()
                .trim()
                .to_owned();
            return Err(if status.code() == Some(i32::from(EXIT_UNSUPPORTED)) {
                StartError::Unsupported(msg.trim_start_matches("unsupported: ").to_owned())
            } else {
                StartError::Failed(format!("server exited ({status}): {msg}"))
            });
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(StartError::Failed(format!(
                "server was not ready within {} s",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(every);
    }
}

/// Starts the server and waits (20 s at most) until it accepts a TCP connection.
///
/// # Errors
/// As [`spawn`] and [`wait_until`].
pub fn start(s: &Start<'_>) -> Result<Server, StartError> {
    let mut server = spawn(s)?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, s.port));
    wait_until(
        &mut server,
        s.stderr,
        Duration::from_secs(20),
        Duration::from_millis(50),
        || TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok(),
    )?;
    Ok(server)
}
