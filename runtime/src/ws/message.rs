//! WebSocket messages and close codes (RFC 6455 sections 5.6, 5.5 and 7.4).

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::{self, Utf8Bytes};

/// A message received from or sent to a [`WebSocket`](super::WebSocket).
///
/// Fragmented messages arrive whole (reassembled, within the maximum message
/// size); pings are answered with pongs automatically and are shown to the
/// handler too; a `Close` is answered by the socket itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// UTF-8 text (validated on receipt; invalid text closes with `1007`).
    Text(Text),
    /// Binary data.
    Binary(Bytes),
    /// A ping (at most 125 bytes); the pong goes out on its own.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer starts or answers the closing handshake.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Text>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Message::Binary(data.into())
    }

    /// Whether it is a text or binary message (not a control message).
    #[must_use]
    pub fn is_data(&self) -> bool {
        matches!(self, Message::Text(_) | Message::Binary(_))
    }

    pub(super) fn from_tungstenite(m: tungstenite::Message) -> Option<Self> {
        Some(match m {
            tungstenite::Message::Text(t) => Message::Text(Text(t)),
            tungstenite::Message::Binary(b) => Message::Binary(b),
            tungstenite::Message::Ping(b) => Message::Ping(b),
            tungstenite::Message::Pong(b) => Message::Pong(b),
            tungstenite::Message::Close(f) => Message::Close(f.map(|f| CloseFrame {
                code: CloseCode(f.code.into()),
                reason: f.reason.as_str().to_owned(),
            })),
            // Raw frames are only ever sent, never read.
            tungstenite::Message::Frame(_) => return None,
        })
    }

    pub(super) fn into_tungstenite(self) -> tungstenite::Message {
        match self {
            Message::Text(t) => tungstenite::Message::Text(t.0),
            Message::Binary(b) => tungstenite::Message::Binary(b),
            Message::Ping(b) => tungstenite::Message::Ping(b),
            Message::Pong(b) => tungstenite::Message::Pong(b),
            Message::Close(f) => tungstenite::Message::Close(f.map(CloseFrame::into_tungstenite)),
        }
    }
}

impl From<&'static str> for Message {
    fn from(s: &'static str) -> Self {
        Message::text(s)
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::text(s)
    }
}

/// The text of a [`Message::Text`]: UTF-8 known to be valid, shared
/// without copying (echoing a message does not copy it).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Utf8Bytes);

impl Text {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Utf8Bytes::from(s))
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text(Utf8Bytes::from_static(s))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The code and reason of a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// Why the connection closes.
    pub code: CloseCode,
    /// A reason for people (at most 123 bytes of UTF-8 on the wire).
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    fn into_tungstenite(self) -> tungstenite::protocol::CloseFrame {
        tungstenite::protocol::CloseFrame {
            code: self.code.0.into(),
            reason: Utf8Bytes::from(truncate(self.reason, 123)),
        }
    }
}

/// A control frame's payload is at most 125 bytes, two of them the code.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// A close status code (RFC 6455 section 7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the server is going down (kiln sends it on shutdown) or the
    /// browser leaves the page.
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL: CloseCode = CloseCode(1002);
    /// 1003: a kind of data the endpoint does not accept (binary for a text-only app).
    pub const UNSUPPORTED: CloseCode = CloseCode(1003);
    /// 1007: data inconsistent with the message type (text that is not UTF-8).
    pub const INVALID_DATA: CloseCode = CloseCode(1007);
    /// 1008: a message that violates the endpoint's policy.
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: a message or frame larger than the endpoint accepts.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
