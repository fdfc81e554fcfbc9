//! [`AccessLogLayer`]: the access log's events as logfmt lines, formatted
//! once into a reused per-thread buffer and handed to the writer in one call.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};

/// The target of [`AccessLog`](super::AccessLog)'s events.
const TARGET: &str = "kiln::access";

/// A `tracing-subscriber` [`Layer`] that writes the events of
/// [`AccessLog`](super::AccessLog) (target `kiln::access`) as one
/// [logfmt](https://brandur.org/logfmt) line each, and ignores every other
/// event:
///
/// ```text
/// 2026-12-02T10:04:34.512094Z  INFO kiln::access: request method=GET route=/users/{id} path=/users/7 status=200 latency_us=41 bytes=27 request_id=0f3c9a2b6d1e4c5a peer=127.0.0.1:50142
/// ```
///
/// The line starts like `tracing_subscriber::fmt`'s (UTC timestamp with
/// microseconds, level, target, message); values are written bare unless
/// they are empty or hold a space, `"`, `=`, `\` or a control character, and
/// then quoted with those escaped, so a hostile path or request id cannot
/// forge a field or a line. It exists because the access log is the one event
/// every request emits: `fmt` spends ~10,250 instructions on it (its
/// field visitor, `Debug` formatting, the timestamp), this layer ~2,900
/// (`benches/benches/builtins.rs`: `access-log/fmt-to-sink` and
/// `access-log/layer-to-sink` minus `access-log/off`). The line is
/// built in a per-thread buffer reused across events, the timestamp's date
/// and time are formatted once a second, and the writer gets the whole line
/// in one `write_all`, so lines from different threads never interleave.
///
/// Other layers would log the same events again: give them
/// [`skip_access_log`] as a per-layer filter.
///
/// ```
/// use kiln::builtin::{AccessLogLayer, skip_access_log};
/// use tracing_subscriber::prelude::*;
///
/// let subscriber = tracing_subscriber::registry()
///     .with(AccessLogLayer::new(std::io::stdout))
///     .with(tracing_subscriber::fmt::layer().with_filter(skip_access_log()));
/// let _guard = tracing::subscriber::set_default(subscriber);
/// tracing::info!("everything but the access log goes through fmt");
/// ```
#[derive(Debug, Clone)]
pub struct AccessLogLayer<W> {
    make_writer: W,
}

impl<W> AccessLogLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// Writes each line to a writer from `make_writer` (`std::io::stdout`,
    /// `std::io::stderr`, a `tracing_appender` non-blocking writer, ...).
    pub fn new(make_writer: W) -> Self {
        AccessLogLayer { make_writer }
    }
}

/// A per-layer filter for the *other* layers of a subscriber that has an
/// [`AccessLogLayer`]: everything except the access log's events.
#[must_use]
pub fn skip_access_log() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    FilterFn::new(|meta| meta.target() != TARGET)
}

impl<S, W> Layer<S> for AccessLogLayer<W>
where
    S: Subscriber,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if meta.target() != TARGET {
            return;
        }
        let write = |scratch: &mut Scratch| {
            scratch.line.clear();
            scratch.format(*meta.level(), event, SystemTime::now());
            // A failed write loses this line only; nothing to report it to.
            let _ = self
                .make_writer
                .make_writer_for(meta)
                .write_all(&scratch.line);
            if scratch.line.capacity() > MAX_KEPT {
                scratch.line = Vec::with_capacity(INITIAL);
            }
        };
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => write(&mut scratch),
            // A writer that logs an access event of its own, while this
            // thread's buffer is in use: a buffer of its own.
            Err(_) => write(&mut Scratch::new()),
        });
    }
}

/// Room for a typical line; a buffer grown past `MAX_KEPT` (a huge path) is
/// not kept.
const INITIAL: usize = 512;
const MAX_KEPT: usize = 16 * 1024;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// One thread's line buffer and the last second it formatted.
struct Scratch {
    line: Vec<u8>,
    second: u64,
    /// `YYYY-MM-DDTHH:MM:SS` of `second`.
    stamp: [u8; 19],
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            line: Vec::with_capacity(INITIAL),
            second: u64::MAX,
            stamp: [0; 19],
        }
    }

    fn format(&mut self, level: Level, event: &Event<'_>, now: SystemTime) {
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let second = since.as_secs();
        if second != self.second {
            self.second = second;
            self.stamp = stamp(second);
        }
        self.line.extend_from_slice(&self.stamp);
        self.line.push(b'.');
        let mut micros = [0; 6];
        zero_padded(&mut micros, u64::from(since.subsec_micros()));
        self.line.extend_from_slice(&micros);
        self.line.extend_from_slice(match level {
            Level::ERROR => b"Z ERROR ",
            Level::WARN => b"Z  WARN ",
            Level::INFO => b"Z  INFO ",
            Level::DEBUG => b"Z DEBUG ",
            Level::TRACE => b"Z TRACE ",
        });
        self.line.extend_from_slice(TARGET.as_bytes());
        self.line.extend_from_slice(b":");
        let message_at = self.line.len();
        event.record(&mut Fields {
            line: &mut self.line,
            message_at,
        });
        self.line.push(b'\n');
    }
}

/// Writes an event's fields as ` key=value`, and its message first.
struct Fields<'a> {
    line: &'a mut Vec<u8>,
    /// Where the message goes: right after the target, wherever the message
    /// field comes in the event's field order.
    message_at: usize,
}

impl Fields<'_> {
    fn key(&mut self, field: &Field) {
        self.line.push(b' ');
        self.line.extend_from_slice(field.name().as_bytes());
        self.line.push(b'=');
    }

    /// Moves what was written since `from` (` message`) to `message_at`.
    fn place_message(&mut self, from: usize) {
        let len = self.line.len() - from;
        self.line[self.message_at..].rotate_right(len);
        self.message_at += len;
    }

    fn number(&mut self, field: &Field, text: &str) {
        self.key(field);
        self.line.extend_from_slice(text.as_bytes());
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let from = self.line.len();
            self.line.push(b' ');
            self.line.extend_from_slice(value.as_bytes());
            self.place_message(from);
            return;
        }
        self.key(field);
        value_bytes(self.line, value.as_bytes());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.number(field, itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field, itoa::Buffer::new().format(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.number(field, if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let from = self.line.len();
        if field.name() == "message" {
            self.line.push(b' ');
            let _ = write!(Utf8(self.line), "{value:?}");
            self.place_message(from);
            return;
        }
        self.key(field);
        let start = self.line.len();
        let _ = write!(Utf8(self.line), "{value:?}");
        if needs_quotes(&self.line[start..]) {
            // Rare (a `Debug` value with a space): re-written quoted.
            let raw = self.line.split_off(start);
            value_bytes(self.line, &raw);
        }
    }
}

/// `fmt::Write` into the line (what `Debug` values need).
struct Utf8<'a>(&'a mut Vec<u8>);

impl fmt::Write for Utf8<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The bytes a bare value cannot hold: controls, space, `"`, `=`, `\`, DEL.
const QUOTED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b <= b' ' as usize
            || b == 0x7f
            || b == b'"' as usize
            || b == b'=' as usize
            || b == b'\\' as usize;
        b += 1;
    }
    table
};

fn needs_quotes(value: &[u8]) -> bool {
    value.is_empty() || value.iter().any(|&b| QUOTED[usize::from(b)])
}

/// A value, bare when it can be, else quoted with `"`, `\` and control
/// characters escaped.
fn value_bytes(line: &mut Vec<u8>, value: &[u8]) {
    if !needs_quotes(value) {
        line.extend_from_slice(value);
        return;
    }
    line.push(b'"');
    for &b in value {
        match b {
            b'"' => line.extend_from_slice(b"\\\""),
            b'\\' => line.extend_from_slice(b"\\\\"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            b'\t' => line.extend_from_slice(b"\\t"),
            b if b < b' ' || b == 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                line.extend_from_slice(&[
                    b'\\',
                    b'x',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
            b => line.push(b),
        }
    }
    line.push(b'"');
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a Unix time.
fn stamp(unix: u64) -> [u8; 19] {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil(days);
    let mut out = *b"0000-00-00T00:00:00";
    zero_padded(&mut out[0..4], year);
    zero_padded(&mut out[5..7], month);
    zero_padded(&mut out[8..10], day);
    zero_padded(&mut out[11..13], secs / 3600);
    zero_padded(&mut out[14..16], secs % 3600 / 60);
    zero_padded(&mut out[17..19], secs % 60);
    out
}

/// The last `out.len()` decimal digits of `value`, zero-padded.
fn zero_padded(out: &mut [u8], mut value: u64) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

/// (year, month, day) of a count of days since 1970-01-01, in the proleptic
/// Gregorian calendar: counted in 400-year eras from 0000-03-01, so that the
/// leap day ends each year of the count.
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(&stamp(0), b"1970-01-01T00:00:00");
        assert_eq!(&stamp(951_782_400), b"2000-02-29T00:00:00");
        assert_eq!(&stamp(951_868_799), b"2000-02-29T23:59:59");
        assert_eq!(&stamp(1_709_251_199), b"2024-02-29T23:59:59");
        assert_eq!(&stamp(1_798_761_600), b"2027-01-01T00:00:00");
        assert_eq!(&stamp(4_107_542_400), b"2100-03-01T00:00:00");
    }

    #[test]
    fn civil_matches_a_day_by_day_count() {
        // Walk 1970..2400 a day at a time and compare with the formula.
        let (mut y, mut m, mut d) = (1970, 1, 1);
        for days in 0..157_000 {
            assert_eq!(civil(days), (y, m, d), "day {days}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn values_are_bare_or_quoted_and_escaped() {
        let quoted = |v: &str| {
            let mut line = Vec::new();
            value_bytes(&mut line, v.as_bytes());
            String::from_utf8(line).unwrap()
        };
        assert_eq!(quoted("/users/7"), "/users/7");
        assert_eq!(quoted("/a%20b"), "/a%20b");
        assert_eq!(quoted(""), r#""""#);
        assert_eq!(quoted("a b"), r#""a b""#);
        assert_eq!(quoted("x=1"), r#""x=1""#);
        assert_eq!(quoted(r#"id" status=500"#), r#""id\" status=500""#);
        assert_eq!(quoted("a\nb\\\u{1}"), r#""a\nb\\\x01""#);
    }
}
