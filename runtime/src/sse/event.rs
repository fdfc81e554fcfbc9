//! One server-sent event and its wire form (the `text/event-stream` format of
//! the HTML standard, "Server-sent events", section 9.2).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

/// One event of an [`Sse`](super::Sse) stream: any of `event`, `id`, `data`
/// (several lines are fine), `retry` and comments.
///
/// ```
/// use kiln::sse::Event;
/// let event = Event::new().event("tick")?.id("7")?.data("line one\nline two");
/// assert_eq!(
///     event.to_bytes(),
///     "event: tick\nid: 7\ndata: line one\ndata: line two\n\n",
/// );
/// # Ok::<(), kiln::sse::InvalidEvent>(())
/// ```
///
/// Fields are written in the order they are set. Line breaks (`\n`, `\r\n`
/// or a lone `\r`) in data and comments start a new `data:` or `:` line, so
/// the browser's `event.data` is exactly the text given. An event name or
/// id cannot hold a line break (nor an id a NUL, which makes browsers ignore
/// it): [`event`](Self::event) and [`id`](Self::id) refuse them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Event {
    buf: String,
}

/// An event name or id that cannot be sent: it holds a line break (or, for
/// an id, a NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent {
    field: &'static str,
}

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an event {} cannot contain a line break", self.field)
    }
}

impl std::error::Error for InvalidEvent {}

impl Event {
    /// An empty event.
    #[must_use]
    pub fn new() -> Self {
        Event::default()
    }

    /// The event type (`addEventListener(name, ...)` in the browser;
    /// without it, `onmessage` receives the event).
    ///
    /// # Errors
    /// When `name` contains `\r` or `\n`.
    pub fn event(self, name: impl AsRef<str>) -> Result<Self, InvalidEvent> {
        let name = name.as_ref();
        if name.contains(['\r', '\n']) {
            return Err(InvalidEvent { field: "name" });
        }
        Ok(self.field("event", name))
    }

    /// The event id; the browser sends the last one it saw as
    /// `Last-Event-ID` when it reconnects (see [`LastEventId`](super::LastEventId)).
    ///
    /// # Errors
    /// When `id` contains `\r`, `\n` or NUL.
    pub fn id(self, id: impl AsRef<str>) -> Result<Self, InvalidEvent> {
        let id = id.as_ref();
        if id.contains(['\r', '\n', '\0']) {
            return Err(InvalidEvent { field: "id" });
        }
        Ok(self.field("id", id))
    }

    /// Data, one `data:` line per line of `text`.
    #[must_use]
    pub fn data(mut self, text: impl AsRef<str>) -> Self {
        for line in lines(text.as_ref()) {
            self = self.field("data", line);
        }
        self
    }

    /// Data: `value` as JSON (one line: serde_json escapes line breaks in strings).
    ///
    /// # Errors
    /// When `value` cannot be serialized.
    pub fn json_data<T: serde::Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<Self, serde_json::Error> {
        let json = serde_json::to_string(value)?;
        Ok(self.field("data", &json))
    }

    /// How long the browser waits before reconnecting (in milliseconds on the wire).
    #[must_use]
    pub fn retry(self, after: Duration) -> Self {
        let ms = after.as_millis().to_string();
        self.field("retry", &ms)
    }

    /// A comment, ignored by the browser (one `:` line per line of `text`).
    #[must_use]
    pub fn comment(mut self, text: impl AsRef<str>) -> Self {
        for line in lines(text.as_ref()) {
            self = self.field("", line);
        }
        self
    }

    fn field(mut self, name: &str, value: &str) -> Self {
        self.buf.push_str(name);
        // "field: value"; a comment is ":" then the text.
        self.buf.push(':');
        if !value.is_empty() {
            self.buf.push(' ');
            self.buf.push_str(value);
        }
        self.buf.push('\n');
        self
    }

    /// The event on the wire, with the blank line that ends it.
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        let mut out = String::with_capacity(self.buf.len() + 1);
        out.push_str(&self.buf);
        out.push('\n');
        Bytes::from(out)
    }

    /// Like [`to_bytes`](Self::to_bytes), reusing the event's buffer.
    pub(super) fn into_bytes(mut self) -> Bytes {
        self.buf.push('\n');
        Bytes::from(self.buf)
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Event").field(&self.buf).finish()
    }
}

/// Splits on `\r\n`, `\r` and `\n`, as the event-stream parser does; an
/// empty text is one empty line (so `data("")` still sends `data:`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\r', '\n']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(e: &Event) -> String {
        String::from_utf8(e.to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn data_lines_split_on_every_line_break() {
        let e = Event::new().data("a\nb\r\nc\rd");
        assert_eq!(wire(&e), "data: a\ndata: b\ndata: c\ndata: d\n\n");
        // A trailing line break is an empty last line, so the browser's data
        // ends with "\n" as given.
        assert_eq!(wire(&Event::new().data("x\n")), "data: x\ndata:\n\n");
        assert_eq!(wire(&Event::new().data("")), "data:\n\n");
        // A value starting with a space keeps it: only one space is stripped.
        assert_eq!(wire(&Event::new().data(" x")), "data:  x\n\n");
    }

    #[test]
    fn names_ids_retry_and_comments() {
        let e = Event::new()
            .comment("hi\nthere")
            .event("update")
            .unwrap()
            .id("42")
            .unwrap()
            .retry(Duration::from_millis(1500))
            .data("{}");
        assert_eq!(
            wire(&e),
            ": hi\n: there\nevent: update\nid: 42\nretry: 1500\ndata: {}\n\n"
        );
        assert!(Event::new().event("a\nb").is_err());
        assert!(Event::new().id("a\rb").is_err());
        assert!(Event::new().id("a\0b").is_err());
        assert_eq!(wire(&Event::new().id("").unwrap()), "id:\n\n");
    }

    #[test]
    fn json_data_is_one_line() {
        let e = Event::new().json_data(&["a\nb"]).unwrap();
        assert_eq!(wire(&e), "data: [\"a\\nb\"]\n\n");
    }
}
