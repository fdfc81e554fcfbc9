//! Streamed responses: their size is known only at the end, so the event is
//! written when the body ends or is dropped (the client went away).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use tracing::Level;

use super::{Record, Started, elapsed_us};
use crate::builtin::RequestId;
use crate::{Body, BoxError};

/// What the event of a streamed response needs once the request is gone.
pub(super) struct Pending {
    pub(super) level: Level,
    pub(super) method: http::Method,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) started: Started,
    pub(super) id: RequestId,
}

impl Pending {
    fn emit(&self, sent: u64, complete: bool) {
        Record {
            method: self.method.as_str(),
            route: self.started.route,
            path: &self.path,
            status: self.status,
            latency_us: elapsed_us(self.started.at),
            bytes: Some(sent),
            request_id: self.id.as_str(),
            peer: self.started.peer,
            complete: Some(complete),
        }
        .emit(self.level);
    }
}

/// A streamed body that counts what it yields and logs at its end or drop.
pub(super) struct Counted {
    inner: Body,
    expected: Option<u64>,
    sent: u64,
    record: Option<Pending>,
}

impl Counted {
    /// `inner`, counted, with `record` written at its end.
    pub(super) fn around(inner: Body, record: Pending) -> Body {
        Body::wrap(Counted {
            expected: inner.size_hint().exact(),
            inner,
            sent: 0,
            record: Some(record),
        })
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        match &poll {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.sent += data.len() as u64;
                }
            }
            Poll::Ready(None) => {
                if let Some(record) = self.record.take() {
                    record.emit(self.sent, true);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(record) = self.record.take() {
                    record.emit(self.sent, false);
                }
            }
            Poll::Pending => {}
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // A body of known length may be dropped once it is all sent, without
        // a last poll; otherwise the client went away (or the server stopped).
        if let Some(record) = self.record.take() {
            let complete = self.inner.is_end_stream() || self.expected == Some(self.sent);
            record.emit(self.sent, complete);
        }
    }
}
