//! The short pass on stable: a target's committed seeds, then a fixed number
//! of deterministic mutations of them.
//!
//! This is **not** coverage-guided fuzzing: the mutations are blind (bit
//! flips, byte edits, splices and a few tokens that parsers care about) from
//! a seeded generator, so every run tries the same inputs. It keeps the
//! targets building and running in CI and replays every crash that was ever
//! found (each becomes a seed). The coverage-guided run is `fuzz/run.sh`.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// What a replay ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Seed files run.
    pub seeds: usize,
    /// Mutated inputs run.
    pub mutated: usize,
}

/// `fuzz/seeds/<target>`: the committed seed corpus of a target.
#[must_use]
pub fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

/// Bytes parsers treat specially, spliced in by the mutator.
const TOKENS: &[&[u8]] = &[
    b"%",
    b"%2F",
    b"%2e%2E",
    b"..",
    b"/",
    b"//",
    b"%00",
    b"\\",
    b"{",
    b"}",
    b"\"",
    b",",
    b";",
    b"=",
    b"*",
    b"0",
    b"-1",
    b"18446744073709551616",
    b"1e999",
    b"[",
    b"]",
    b":",
    b"~",
    b"\0",
    b"\xff",
    b"#[",
    b"priority",
    b"=>",
    b"routes",
    b"bytes=",
    b"q=0",
    b"for=",
    b"::",
    b".",
];

/// Runs `target` on every seed of `seeds_dir(name)`, then on `mutations`
/// inputs derived from them.
///
/// # Errors
/// A message naming each input that panicked (at most five) and why, or
/// that the target has no seeds.
pub fn run(name: &str, target: fn(&[u8]), mutations: usize) -> Result<Summary, String> {
    let dir = seeds_dir(name);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{name}: no seeds in {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let seeds: Vec<(String, Vec<u8>)> = paths
        .iter()
        .filter_map(|p| {
            let file = p.file_name()?.to_string_lossy().into_owned();
            Some((file, std::fs::read(p).ok()?))
        })
        .collect();
    if seeds.is_empty() {
        return Err(format!("{name}: no seeds in {}", dir.display()));
    }
    let mut failures = Vec::new();
    let mut attempt = |label: String, input: &[u8]| {
        if failures.len() < 5
            && let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(input)))
        {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{name} {label}: {why}\n  input: {}", escape(input)));
        }
    };
    for (file, bytes) in &seeds {
        attempt(format!("seed {file}"), bytes);
    }
    let mut rng = fastrand::Rng::with_seed(name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }));
    for i in 0..mutations {
        let input = mutate(&mut rng, &seeds);
        attempt(format!("mutation {i}"), &input);
    }
    if failures.is_empty() {
        Ok(Summary {
            seeds: seeds.len(),
            mutated: mutations,
        })
    } else {
        Err(failures.join("\n"))
    }
}

/// One to four blind edits of a seed.
fn mutate(rng: &mut fastrand::Rng, seeds: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut data = seeds[rng.usize(..seeds.len())].1.clone();
    for _ in 0..rng.usize(1..=4) {
        let at = rng.usize(..=data.len());
        match rng.u8(..7) {
            0 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] ^= 1 << rng.u8(..8);
            }
            1 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] = rng.u8(..);
            }
            2 => data.insert(at, rng.u8(..)),
            3 if at < data.len() => {
                let end = rng.usize(at..=data.len().min(at + 8));
                data.drain(at..end);
            }
            4 => {
                let token = TOKENS[rng.usize(..TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            5 => {
                // Another seed's tail after this one's head.
                let other = &seeds[rng.usize(..seeds.len())].1;
                let from = rng.usize(..=other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            _ => {
                // A repeated chunk: long inputs, deep nesting.
                let end = rng.usize(at..=data.len().min(at + 16));
                let chunk = data[at..end].to_vec();
                for _ in 0..rng.usize(1..=32) {
                    data.splice(at..at, chunk.iter().copied());
                }
            }
        }
    }
    data
}

/// The input as a Rust byte-string literal, cut at 400 bytes.
fn escape(input: &[u8]) -> String {
    let mut out = String::from("b\"");
    for &b in input.iter().take(400) {
        for c in std::ascii::escape_default(b) {
            out.push(char::from(c));
        }
    }
    out.push('"');
    if input.len() > 400 {
        let _ = write!(out, " ... ({} bytes)", input.len());
    }
    out
}
