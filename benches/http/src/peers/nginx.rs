//! nginx for the `files` scenario, the static-file reference: one process
//! (`master_process off`, so one worker that the harness can pin and kill),
//! `sendfile on`, no access log, serving the same directory at `/files/`.
//! Installed from the Debian package `nginx` by [`ensure_installed`] (the
//! harness calls it when nginx and `files` are both asked for).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::files;
use super::super::scenario::Scenario;
use super::super::server::{ServeError, ServerArgs};

const CANDIDATES: [&str; 2] = ["/usr/sbin/nginx", "/usr/bin/nginx"];

fn binary() -> Option<PathBuf> {
    CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Makes sure nginx is installed, with `apt-get install -y nginx` (after an
/// `apt-get update` if the first try fails) when it is not. Debian's
/// `policy-rc.d` in container images keeps the package from starting a
/// daemon of its own.
///
/// # Errors
/// A message saying what was tried when nginx is still unavailable.
pub fn ensure_installed() -> Result<(), String> {
    if binary().is_some() {
        return Ok(());
    }
    eprintln!("bench: nginx not found; running `apt-get install -y nginx`");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "nginx"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    let first = install();
    if !matches!(first, Ok(s) if s.success()) {
        let _ = Command::new("apt-get").arg("update").status();
        let _ = install();
    }
    binary().map(|_| ()).ok_or_else(|| {
        format!(
            "nginx is not installed and `apt-get install -y nginx` did not install it ({first:?})"
        )
    })
}

fn config(port: u16, root: &Path, prefix: &Path) -> String {
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    types {{ application/octet-stream bin; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /files/ {{ alias {root}/; }}
    }}
}}
",
        prefix = prefix.display(),
        root = root.display(),
    )
}

/// Replaces this process with nginx serving `files` (so the harness's pin
/// and kill reach nginx itself).
///
/// # Errors
/// [`ServeError::Unsupported`] for other scenarios or when nginx is missing.
pub fn serve(args: &ServerArgs) -> Result<(), ServeError> {
    if args.scenario != Scenario::Files {
        return Err(ServeError::Unsupported(format!(
            "nginx is the reference for the files scenario only, not {}",
            args.scenario
        )));
    }
    let Some(nginx) = binary() else {
        return Err(ServeError::Unsupported(
            "nginx is not installed (the bench harness installs it)".into(),
        ));
    };
    let root = files::dir()?;
    let prefix = std::env::temp_dir().join(format!("kiln-bench-nginx-{}", args.port));
    std::fs::create_dir_all(&prefix)?;
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, config(args.port, &root, &prefix))?;
    let err = Command::new(nginx)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf)
        .args(["-e", "stderr"])
        .exec();
    Err(ServeError::Io(err))
}
