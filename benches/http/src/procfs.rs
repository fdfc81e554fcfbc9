//! Readings of a server process from `/proc`: CPU time (utime + stime from
//! `/proc/PID/stat`), resident memory (`VmRSS`) and its peak (`VmHWM`) from
//! `/proc/PID/status`, whether a port is listening (`/proc/net/tcp`, read
//! without connecting) and the open-files limit (`/proc/PID/limits`).

use std::fs;
use std::io;
use std::process::Command;
use std::sync::OnceLock;

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`, 100 if unknown).
#[must_use]
pub fn clock_ticks_per_second() -> u64 {
    static TCK: OnceLock<u64> = OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// user + system CPU time of a process (all its threads, live and exited), in
/// microseconds.
///
/// # Errors
/// When the process is gone or its stat line cannot be parsed.
pub fn cpu_time_us(pid: u32) -> io::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_stat_ticks(&stat)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad /proc/PID/stat"))?;
    Ok(ticks * 1_000_000 / clock_ticks_per_second())
}

/// CPU time of a process tree one level deep, in microseconds: `root`'s own
/// and its reaped children's (`cutime` + `cstime`) plus every live child's.
/// For a Postgres postmaster that is the whole database server: its
/// backends, background workers and those that exited.
///
/// # Errors
/// When `root` is gone.
pub fn tree_cpu_time_us(root: u32) -> io::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{root}/stat"))?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad /proc/PID/stat");
    let mut ticks =
        parse_stat_ticks(&stat).ok_or_else(bad)? + parse_child_ticks(&stat).ok_or_else(bad)?;
    for entry in fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(child) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if parse_ppid(&child) == Some(root) {
            ticks += parse_stat_ticks(&child).unwrap_or(0);
        }
    }
    Ok(ticks * 1_000_000 / clock_ticks_per_second())
}

/// The parent pid (field 4) of a `/proc/PID/stat` line.
fn parse_ppid(stat: &str) -> Option<u32> {
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// cutime + cstime (fields 16 and 17): reaped children's CPU, in ticks.
fn parse_child_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(13);
    let children_user: u64 = fields.next()?.parse().ok()?;
    let children_system: u64 = fields.next()?.parse().ok()?;
    Some(children_user + children_system)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line, in ticks.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Busy time (everything but idle and iowait) of one CPU since boot, in
/// microseconds, from `/proc/stat`.
///
/// # Errors
/// When `/proc/stat` has no line for that CPU.
pub fn cpu_busy_us(cpu: usize) -> io::Result<u64> {
    let stat = fs::read_to_string("/proc/stat")?;
    let ticks = parse_cpu_busy(&stat, cpu).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no cpu{cpu} in /proc/stat"),
        )
    })?;
    Ok(ticks * 1_000_000 / clock_ticks_per_second())
}

/// user + nice + system + irq + softirq + steal of `cpu<N>` in ticks.
fn parse_cpu_busy(stat: &str, cpu: usize) -> Option<u64> {
    let prefix = format!("cpu{cpu} ");
    let line = stat.lines().find(|l| l.starts_with(&prefix))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    Some(v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7).unwrap_or(&0))
}

/// Peak resident set size (`VmHWM`) of a process, in KiB.
///
/// # Errors
/// When the process is gone or the line is missing.
pub fn peak_rss_kib(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status_field_kib(&status, "VmHWM:")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmHWM in /proc/PID/status"))
}

/// Resident set size now (`VmRSS`) of a process, in KiB.
///
/// # Errors
/// When the process is gone or the line is missing.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status_field_kib(&status, "VmRSS:")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in /proc/PID/status"))
}

/// Whether a socket listens on `127.0.0.1:<port>` or `0.0.0.0:<port>`
/// (IPv4), from `/proc/net/tcp`: unlike a connection attempt, the server
/// sees nothing.
#[must_use]
pub fn listening(port: u16) -> bool {
    fs::read_to_string("/proc/net/tcp").is_ok_and(|t| tcp_table_listens(&t, port))
}

/// Whether a `/proc/net/tcp` table has a socket in state `0A` (LISTEN) on
/// the loopback or wildcard address at `port`.
fn tcp_table_listens(table: &str, port: u16) -> bool {
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(local), Some(_remote), Some(state)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        state == "0A" && wanted.iter().any(|w| w == local)
    })
}

/// The soft and hard limits on open files (`Max open files`) of a process.
///
/// # Errors
/// When the process is gone or the line is missing.
pub fn open_files_limit(pid: u32) -> io::Result<(u64, u64)> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits"))?;
    parse_open_files(&limits).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "no `Max open files` in /proc/PID/limits",
        )
    })
}

/// `(soft, hard)` of the `Max open files` line; `unlimited` is `u64::MAX`.
fn parse_open_files(limits: &str) -> Option<(u64, u64)> {
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    let mut values = line.split_whitespace().map(|v| {
        if v == "unlimited" {
            Some(u64::MAX)
        } else {
            v.parse().ok()
        }
    });
    Some((values.next()??, values.next()??))
}

fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_and_status() {
        let stat = "1234 (server (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0";
        assert_eq!(parse_stat_ticks(stat), Some(300));
        assert_eq!(parse_child_ticks(stat), Some(0));
        let reaped = "9 (postgres) S 1 2 3 4 5 6 7 8 9 10 250 50 30 12 20 0 3 0";
        assert_eq!(parse_child_ticks(reaped), Some(42));
        assert_eq!(parse_ppid(stat), Some(1));
        let status = "Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    4321 kB\nVmRSS:\t 12 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM:"), Some(4321));
        assert_eq!(status_field_kib(status, "VmRSS:"), Some(12));
        let proc_stat =
            "cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 1 2 3 100 50 4 5 6 0 0\ncpu1 7 0 0 0 0 0 0 0 0 0\n";
        assert_eq!(parse_cpu_busy(proc_stat, 0), Some(21));
        assert_eq!(parse_cpu_busy(proc_stat, 1), Some(7));
        assert_eq!(parse_cpu_busy(proc_stat, 2), None);
    }

    #[test]
    fn parses_listeners_and_limits() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            \x20  0: 0100007F:46A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
            \x20  1: 0100007F:46A2 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
            \x20  2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
        assert!(tcp_table_listens(tcp, 18_080));
        assert!(
            !tcp_table_listens(tcp, 18_082),
            "established, not listening"
        );
        assert!(tcp_table_listens(tcp, 8080), "wildcard address");
        assert!(!tcp_table_listens(tcp, 1));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
            Max processes             95000                95000                processes\n\
            Max open files            1024                 524288               files\n";
        assert_eq!(parse_open_files(limits), Some((1024, 524_288)));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files(unlimited), Some((u64::MAX, u64::MAX)));
        assert_eq!(parse_open_files("Max processes 1 1"), None);
    }

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(peak_rss_kib(pid).unwrap() > 0);
        assert!(rss_kib(pid).unwrap() > 0);
        assert!(open_files_limit(pid).unwrap().0 > 0);
        // Own time first: the tree's, read after it, can only have grown.
        let own = cpu_time_us(pid).unwrap();
        assert!(tree_cpu_time_us(pid).unwrap() >= own);
    }
}
