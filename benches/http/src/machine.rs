//! What the results were measured on: CPU, kernel, rustc, crate versions,
//! commit and date.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::results::Machine;

/// The crates whose versions the report states.
pub const CRATES: [&str; 17] = [
    "kiln",
    "axum",
    "tower",
    "tower-http",
    "tower_governor",
    "actix-web",
    "actix-http",
    "actix-cors",
    "actix-governor",
    "hyper",
    "hyper-util",
    "tokio",
    "governor",
    "jsonwebtoken",
    "tracing-subscriber",
    "serde_json",
    "tikv-jemallocator",
];

/// The workspace root (this package is `benches/http/`).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

fn command_output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Describes this machine and toolchain.
#[must_use]
pub fn describe() -> Machine {
    let root = workspace_root();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
    let rustc = command_output("rustc", &["--version"], &root).unwrap_or_else(|| "unknown".into());
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"], &root).map_or_else(
        || "unknown".to_owned(),
        |c| {
            let dirty = command_output("git", &["status", "--porcelain"], &root)
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{c}-dirty") } else { c }
        },
    );
    Machine {
        cpu,
        cpus,
        kernel,
        rustc,
        crates: crate_versions(&lock, &CRATES),
        commit,
    }
}

/// Versions of `names` in a `Cargo.lock` (several versions joined with `, `).
#[must_use]
pub fn crate_versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for block in lock.split("[[package]]") {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|v| v.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_owned())
            })
        };
        if let (Some(name), Some(version)) = (field("name"), field("version"))
            && names.contains(&name.as_str())
        {
            found.entry(name).or_default().push(version);
        }
    }
    found.into_iter().map(|(k, v)| (k, v.join(", "))).collect()
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
#[must_use]
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// The current UTC time, ISO 8601 (`date -u`).
#[must_use]
pub fn now_utc() -> String {
    command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"], Path::new("/"))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_a_lock_file() {
        let lock = "version = 4\n\n[[package]]\nname = \"axum\"\nversion = \"0.8.9\"\n\n\
                    [[package]]\nname = \"axum-core\"\nversion = \"0.5.0\"\n\n\
                    [[package]]\nname = \"hyper\"\nversion = \"0.14.1\"\n\n[[package]]\nname = \"hyper\"\nversion = \"1.7.0\"\n";
        let v = crate_versions(lock, &["axum", "hyper"]);
        assert_eq!(v["axum"], "0.8.9");
        assert_eq!(v["hyper"], "0.14.1, 1.7.0");
        assert_eq!(v.len(), 2);
    }
}
