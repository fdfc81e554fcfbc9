//! A raw HTTP/2 client of a few dozen lines: frames written by hand (so a
//! test can send what no well-behaved client library would), and the
//! server's frames read back with only what the assertions need.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub(crate) const DATA: u8 = 0x0;
pub(crate) const HEADERS: u8 = 0x1;
pub(crate) const RST_STREAM: u8 = 0x3;
pub(crate) const SETTINGS: u8 = 0x4;
pub(crate) const PING: u8 = 0x6;
pub(crate) const GOAWAY: u8 = 0x7;
pub(crate) const CONTINUATION: u8 = 0x9;

pub(crate) const END_STREAM: u8 = 0x1;
pub(crate) const END_HEADERS: u8 = 0x4;
pub(crate) const ACK: u8 = 0x1;

/// `REFUSED_STREAM`, `CANCEL` and `ENHANCE_YOUR_CALM` error codes.
pub(crate) const REFUSED_STREAM: u32 = 0x7;
pub(crate) const CANCEL: u32 = 0x8;

/// One frame: 9-byte header, then the payload.
pub(crate) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap();
    assert!(len < 1 << 24);
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK integer with an `n`-bit prefix whose high bits are `first`.
fn integer(out: &mut Vec<u8>, first: u8, n: u32, mut value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(first | u8::try_from(value).unwrap());
        return;
    }
    out.push(first | u8::try_from(max).unwrap());
    value -= max;
    while value >= 128 {
        out.push(u8::try_from(value % 128).unwrap() | 0x80);
        value /= 128;
    }
    out.push(u8::try_from(value).unwrap());
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    integer(out, 0x00, 7, s.len());
    out.extend_from_slice(s);
}

/// A header field as a literal without indexing (new name).
pub(crate) fn literal(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(0x00);
    string(out, name.as_bytes());
    string(out, value);
}

/// A header field as a literal *with* incremental indexing: it enters the
/// dynamic table (index 62 while it is the newest entry).
pub(crate) fn indexed_literal(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(0x40);
    string(out, name.as_bytes());
    string(out, value);
}

/// A reference to entry `index` of the static or dynamic table.
pub(crate) fn indexed(out: &mut Vec<u8>, index: usize) {
    integer(out, 0x80, 7, index);
}

/// The header block of a request for `path` with `method`.
pub(crate) fn request(method: &str, path: &str) -> Vec<u8> {
    let mut block = Vec::new();
    literal(&mut block, ":method", method.as_bytes());
    literal(&mut block, ":scheme", b"http");
    literal(&mut block, ":path", path.as_bytes());
    literal(&mut block, ":authority", b"test");
    block
}

/// A frame the server sent.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) stream: u32,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// The error code of a `GOAWAY` or `RST_STREAM`.
    pub(crate) fn error_code(&self) -> Option<u32> {
        let at = match self.kind {
            GOAWAY => 4,
            RST_STREAM => 0,
            _ => return None,
        };
        let b = self.payload.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Whether this is a `HEADERS` frame whose first field is `:status` `status`.
    pub(crate) fn status_is(&self, status: u16) -> bool {
        self.kind == HEADERS && first_status(&self.payload) == Some(status)
    }
}

/// The `:status` a response header block starts with, when it is a static
/// table entry (8 to 14) or a literal naming entry 8 whose value is plain or
/// Huffman-coded digits (hyper's encoder writes one of these first); `None`
/// for anything else (a dynamic-table reference, say).
fn first_status(block: &[u8]) -> Option<u16> {
    let &first = block.first()?;
    let by_index = [200, 204, 206, 304, 400, 404, 500];
    if first & 0x80 != 0 {
        let index = usize::from(first & 0x7f);
        return (8..=14).contains(&index).then(|| by_index[index - 8]);
    }
    // Literal with incremental indexing (0x48), without (0x08), never (0x18).
    if ![0x48, 0x08, 0x18].contains(&first) {
        return None;
    }
    let &len = block.get(1)?;
    let value = block.get(2..2 + usize::from(len & 0x7f))?;
    let digits = if len & 0x80 == 0 {
        value.to_vec()
    } else {
        huffman_digits(value)?
    };
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Decodes an HPACK Huffman string made only of digits (RFC 7541, appendix
/// B: `0`-`2` are `00000`-`00010`, `3`-`9` are `011001`-`011111`).
fn huffman_digits(bytes: &[u8]) -> Option<Vec<u8>> {
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    let take = |from: usize, n: usize| -> Option<u8> {
        bits.get(from..from + n)
            .map(|b| b.iter().fold(0u8, |acc, &x| acc << 1 | x))
    };
    while i < bits.len() {
        // The rest is padding: fewer than 8 one bits.
        if bits.len() - i < 8 && bits[i..].iter().all(|&b| b == 1) {
            break;
        }
        match take(i, 3)? {
            0b000 => {
                let code = take(i, 5)?;
                if code > 2 {
                    return None;
                }
                out.push(b'0' + code);
                i += 5;
            }
            0b011 => {
                let code = take(i, 6)?;
                out.push(b'3' + (code - 0b01_1001));
                i += 6;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A connection: writes from the test, frames read by a task.
pub(crate) struct Client {
    pub(crate) write: OwnedWriteHalf,
    frames: tokio::sync::mpsc::UnboundedReceiver<Frame>,
}

impl Client {
    /// Connects, sends the preface and an empty `SETTINGS`, waits for the
    /// server's `SETTINGS` and acknowledges them.
    pub(crate) async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (read, mut write) = stream.into_split();
        write.write_all(PREFACE).await.unwrap();
        write.write_all(&frame(SETTINGS, 0, 0, &[])).await.unwrap();
        let (tx, frames) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(read_frames(read, tx));
        let mut client = Client { write, frames };
        client
            .until(Duration::from_secs(5), |f| {
                f.kind == SETTINGS && f.flags & ACK == 0
            })
            .await
            .expect("the server sends its SETTINGS");
        assert!(client.send(&frame(SETTINGS, ACK, 0, &[])).await);
        client
    }

    /// Writes bytes; `false` once the server closed the connection.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.write.write_all(bytes).await.is_ok()
    }

    /// Drops the frames received so far (a flood's ACKs).
    pub(crate) fn drain(&mut self) -> usize {
        let mut n = 0;
        while self.frames.try_recv().is_ok() {
            n += 1;
        }
        n
    }

    /// The next frame, `None` when the connection closed or nothing came
    /// within `wait`.
    pub(crate) async fn next(&mut self, wait: Duration) -> Option<Frame> {
        tokio::time::timeout(wait, self.frames.recv())
            .await
            .ok()
            .flatten()
    }

    /// Frames until one matches `f` (returned) or `wait` passes / the
    /// connection closes (`None`).
    pub(crate) async fn until(
        &mut self,
        wait: Duration,
        f: impl Fn(&Frame) -> bool,
    ) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next(left).await?;
            if f(&frame) {
                return Some(frame);
            }
        }
    }
}

#[test]
fn statuses_decode() {
    assert_eq!(first_status(&[0x88]), Some(200));
    assert_eq!(first_status(&[0x48, 0x83, 0x68, 0x0f, 0x7f]), Some(408));
    assert_eq!(first_status(&[0x08, 0x03, b'4', b'3', b'1']), Some(431));
    assert_eq!(first_status(&[0xbe]), None);
}

async fn read_frames(mut read: OwnedReadHalf, tx: tokio::sync::mpsc::UnboundedSender<Frame>) {
    let mut head = [0u8; 9];
    loop {
        if read.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let mut payload = vec![0u8; len];
        if read.read_exact(&mut payload).await.is_err() {
            return;
        }
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let frame = Frame {
            kind: head[3],
            flags: head[4],
            stream,
            payload,
        };
        if tx.send(frame).is_err() {
            return;
        }
    }
}

/// One `GET` on a fresh well-behaved connection: whether it got a `200`
/// within `wait`.
pub(crate) async fn served(addr: SocketAddr, wait: Duration) -> bool {
    let mut c = Client::connect(addr).await;
    let block = request("GET", "/");
    c.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block))
        .await;
    c.until(wait, |f| f.kind == HEADERS && f.stream == 1)
        .await
        .is_some_and(|f| f.status_is(200))
}
