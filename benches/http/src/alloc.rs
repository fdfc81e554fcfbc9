//! Allocation counting for the peer servers: a global allocator that forwards
//! to jemalloc and, when switched on, counts every allocation, plus a tiny
//! side port that reports the count.
//!
//! A server binary declares `#[global_allocator] static A: CountingJemalloc =
//! CountingJemalloc;` and calls [`serve_count_from_env`] first thing in
//! `main`. When `KILN_BENCH_ALLOC_PORT=<port>` is set, the server also listens
//! on `127.0.0.1:<port>`: a client sends one byte (`+` start counting, `-`
//! stop, `?` nothing) and receives the number of allocations counted so far
//! (`alloc`, `alloc_zeroed` and `realloc` calls) as one decimal line. The
//! harness sends `+` after the timed runs of an endpoint, runs `wrk` once more,
//! sends `-` and divides the difference by the requests `wrk` completed. While
//! counting is off (all timed runs) the allocator is plain jemalloc plus one
//! relaxed load of a flag.

// A global allocator must be an `unsafe impl`; this one only forwards to jemalloc.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tikv_jemallocator::Jemalloc;

/// The environment variable that switches counting on and names the side port.
pub const ALLOC_PORT_ENV: &str = "KILN_BENCH_ALLOC_PORT";

static ON: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicU64 = AtomicU64::new(0);

/// jemalloc with an optional allocation counter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingJemalloc;

#[inline]
fn count() {
    if ON.load(Ordering::Relaxed) {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards its arguments unchanged to jemalloc, which
// upholds the `GlobalAlloc` contract; counting touches only atomics.
unsafe impl GlobalAlloc for CountingJemalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed through.
        unsafe { Jemalloc.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed through.
        unsafe { Jemalloc.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed through.
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed through.
        unsafe { Jemalloc.realloc(ptr, layout, new_size) }
    }
}

/// Allocations counted so far.
#[must_use]
pub fn allocations() -> u64 {
    COUNT.load(Ordering::Relaxed)
}

/// A command for the side port: one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Switch counting on (`+`), then report.
    Start,
    /// Switch counting off (`-`), then report.
    Stop,
    /// Only report (`?`).
    Read,
}

impl Command {
    fn byte(self) -> u8 {
        match self {
            Command::Start => b'+',
            Command::Stop => b'-',
            Command::Read => b'?',
        }
    }
}

/// Serves the side port on `127.0.0.1:<port>` from a background thread when
/// [`ALLOC_PORT_ENV`] is set; counting starts off. Call it before the server
/// starts.
///
/// # Errors
/// When the variable is not a port number or the port cannot be bound.
pub fn serve_count_from_env() -> io::Result<()> {
    let Ok(port) = std::env::var(ALLOC_PORT_ENV) else {
        return Ok(());
    };
    let port: u16 = port.parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{ALLOC_PORT_ENV}: {e}"),
        )
    })?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    std::thread::Builder::new()
        .name("alloc-count".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut cmd = [0u8; 1];
                let _ = stream.read(&mut cmd);
                match cmd[0] {
                    b'+' => ON.store(true, Ordering::SeqCst),
                    b'-' => ON.store(false, Ordering::SeqCst),
                    _ => {}
                }
                let mut buf = [0u8; 24];
                let len = format_u64(allocations(), &mut buf);
                let _ = stream.write_all(&buf[..len]);
            }
        })?;
    Ok(())
}

/// Sends a command to a server's side port and returns the count it reports.
///
/// # Errors
/// When the port does not answer with a number.
pub fn query(port: u16, command: Command) -> io::Result<u64> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(&[command.byte()])?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    text.trim().parse().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("allocation count {text:?}: {e}"),
        )
    })
}

/// Writes `n` and a newline into `buf` without allocating; returns the length.
fn format_u64(mut n: u64, buf: &mut [u8; 24]) -> usize {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - i;
    buf[..len].copy_from_slice(&digits[i..]);
    buf[len] = b'\n';
    len + 1
}

#[cfg(test)]
mod tests {
    use super::format_u64;

    #[test]
    fn formats_numbers() {
        let mut buf = [0u8; 24];
        for n in [0, 7, 10, 12345, u64::MAX] {
            let len = format_u64(n, &mut buf);
            assert_eq!(&buf[..len], format!("{n}\n").as_bytes());
        }
    }
}
