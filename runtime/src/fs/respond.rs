//! Building the response for a representation once the [`Decision`] is made:
//! the same headers for files on disk and embedded ones.

use std::fmt::{self, Write as _};
use std::time::SystemTime;

use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, LAST_MODIFIED, VARY,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::conditional::Decision;
use crate::builtin::scratch_value;
use crate::content_coding::ContentCoding;
use crate::error::{Error, code};
use crate::{Body, IntoResponse, Response};

/// Room for the headers set here plus the ones middleware usually add.
const HEADER_ROOM: usize = 16;

/// What is known about the representation being served.
pub(crate) struct Meta {
    pub(crate) len: u64,
    /// Quoted entity tag, e.g. `"5f1e-2a"`.
    pub(crate) etag: HeaderValue,
    pub(crate) modified: Option<SystemTime>,
    pub(crate) content_type: &'static str,
    pub(crate) encoding: Option<ContentCoding>,
}

/// The settings that add headers to every answer.
pub(crate) struct Common<'a> {
    pub(crate) cache_control: Option<&'a HeaderValue>,
    /// Precompressed variants are on: the answer depends on `Accept-Encoding`.
    pub(crate) vary: bool,
}

/// The response for `decision`, with `body` called for the byte range to send
/// (`start`, `len`) unless the request is `HEAD` or the answer has no body.
pub(crate) fn respond(
    decision: Decision,
    meta: &Meta,
    common: &Common<'_>,
    head: bool,
    body: impl FnOnce(u64, u64) -> Body,
) -> Response {
    let (status, start, len) = match decision {
        Decision::Full => (StatusCode::OK, 0, meta.len),
        Decision::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Decision::NotModified { weak_match } => {
            let mut res = StatusCode::NOT_MODIFIED.into_response();
            let h = res.headers_mut();
            let etag = if weak_match {
                fmt_value::<72>(format_args!("W/{}", meta.etag.to_str().unwrap_or("")))
            } else {
                meta.etag.clone()
            };
            h.insert(ETAG, etag);
            validators_and_caching(h, None, common);
            return res;
        }
        Decision::PreconditionFailed => {
            return Error::new(StatusCode::PRECONDITION_FAILED, code::PRECONDITION_FAILED)
                .message("the request's preconditions do not hold for the current file")
                .into_response();
        }
        Decision::Unsatisfiable => {
            return Error::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                code::RANGE_NOT_SATISFIABLE,
            )
            .message(format!(
                "no byte of the requested range exists: the file has {} bytes",
                meta.len
            ))
            .header(
                CONTENT_RANGE,
                fmt_value::<32>(format_args!("bytes */{}", meta.len)),
            )
            .into_response();
        }
    };
    let body = if head {
        Body::empty()
    } else {
        body(start, len)
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    *h = HeaderMap::with_capacity(HEADER_ROOM);
    h.insert(CONTENT_TYPE, HeaderValue::from_static(meta.content_type));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(ETAG, meta.etag.clone());
    if let Some(coding) = meta.encoding {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    }
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            CONTENT_RANGE,
            fmt_value::<64>(format_args!(
                "bytes {start}-{}/{}",
                start + len - 1,
                meta.len
            )),
        );
    }
    validators_and_caching(h, meta.modified, common);
    res
}

/// `404`, code `not_found`: nothing servable at the path (also for hidden
/// names and links out of the root, which are not told apart).
pub(crate) fn not_found() -> Response {
    Error::not_found()
        .message("no file at this path")
        .into_response()
}

/// `500`, code `internal`: the file could not be read (the cause is logged).
pub(crate) fn read_failed() -> Response {
    Error::internal().into_response()
}

fn validators_and_caching(h: &mut HeaderMap, modified: Option<SystemTime>, common: &Common<'_>) {
    if let Some(m) = modified {
        h.insert(
            LAST_MODIFIED,
            fmt_value::<40>(format_args!("{}", httpdate::HttpDate::from(m))),
        );
    }
    if let Some(cc) = common.cache_control {
        h.insert(CACHE_CONTROL, cc.clone());
    }
    if common.vary {
        h.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// A header value formatted into a per-thread slab (no allocation of its own).
pub(crate) fn fmt_value<const N: usize>(args: fmt::Arguments<'_>) -> HeaderValue {
    scratch_value::<N>(|buf| {
        let mut w = Cursor { buf, len: 0 };
        // Writing past `N` is cut short; callers size `N` for their values.
        let _ = w.write_fmt(args);
        w.len
    })
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_format_into_the_slab() {
        assert_eq!(fmt_value::<16>(format_args!("a{}b", 12)), "a12b");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(
            fmt_value::<40>(format_args!("{}", httpdate::HttpDate::from(t))),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }
}
