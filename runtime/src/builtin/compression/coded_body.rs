//! Bodies that encode or decode another body chunk by chunk, never holding
//! more than one input chunk and one output buffer.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::core::util::{PartialBuffer, WriteBuffer};
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::codec::{Decoder, Encoder};
use crate::{Body, BoxError};

/// The output buffer of one body; each frame is copied out at its exact size.
const OUT: usize = 16 * 1024;

/// A chunk of input being consumed.
struct Input {
    data: Bytes,
    pos: usize,
}

/// Where an [`Encoded`] or [`Decoded`] body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading the inner body.
    Streaming,
    /// The inner body ended: writing what the codec still holds.
    Finishing,
    Done,
}

/// `inner`, compressed.
pub(crate) struct Encoded {
    inner: Body,
    encoder: Encoder,
    input: Option<Input>,
    out: Vec<u8>,
    /// Input was fed since the last flush: flush before waiting on `inner`,
    /// so a slow stream reaches the client as it is produced.
    unflushed: bool,
    phase: Phase,
}

impl Encoded {
    pub(crate) fn new(inner: Body, encoder: Encoder) -> Self {
        Encoded {
            inner,
            encoder,
            input: None,
            out: Vec::new(),
            unflushed: false,
            phase: Phase::Streaming,
        }
    }
}

fn frame(written: &[u8]) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(written)))))
}

impl http_body::Body for Encoded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.out.is_empty() && this.phase != Phase::Done {
            this.out = vec![0; OUT];
        }
        let mut w = WriteBuffer::new_initialized(&mut this.out);
        loop {
            if let Some(input) = &mut this.input {
                let mut buf = PartialBuffer::new(&input.data[input.pos..]);
                let result = this.encoder.encode(&mut buf, &mut w);
                input.pos += buf.written_len();
                if let Err(e) = result {
                    this.phase = Phase::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
                if input.pos == input.data.len() {
                    this.input = None;
                }
                this.unflushed = true;
                if w.has_no_spare_space() {
                    return frame(w.written());
                }
                continue;
            }
            match this.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Finishing => match this.encoder.finish(&mut w) {
                    Ok(done) => {
                        if done {
                            this.phase = Phase::Done;
                            let written = w.written();
                            let res = if written.is_empty() {
                                Poll::Ready(None)
                            } else {
                                frame(written)
                            };
                            this.out = Vec::new();
                            return res;
                        }
                        if w.has_no_spare_space() {
                            return frame(w.written());
                        }
                    }
                    Err(e) => {
                        this.phase = Phase::Done;
                        return Poll::Ready(Some(Err(e.into())));
                    }
                },
                Phase::Streaming => match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Ready(Some(Ok(f))) => {
                        // Trailers are dropped: few clients read them and a
                        // compressed stream cannot carry them in order anyway.
                        if let Ok(data) = f.into_data()
                            && !data.is_empty()
                        {
                            this.input = Some(Input { data, pos: 0 });
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.phase = Phase::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(None) => this.phase = Phase::Finishing,
                    Poll::Pending => {
                        if this.unflushed {
                            match this.encoder.flush(&mut w) {
                                Ok(done) => this.unflushed = !done,
                                Err(e) => {
                                    this.phase = Phase::Done;
                                    return Poll::Ready(Some(Err(e.into())));
                                }
                            }
                        }
                        if w.written_len() > 0 {
                            return frame(w.written());
                        }
                        return Poll::Pending;
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.phase == Phase::Done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// The decoded request body is larger than the configured limit: the error of
/// the decoded body's stream, which body extractors turn into a `413 Payload
/// Too Large` [`Error`](crate::Error) naming the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressedTooLarge {
    /// The limit in bytes.
    pub limit: u64,
}

impl fmt::Display for DecompressedTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "decompressed request body larger than {} bytes",
            self.limit
        )
    }
}

impl std::error::Error for DecompressedTooLarge {}

/// `413 Payload Too Large`, code `payload_too_large`, naming the limit: what
/// the body extractors (and `Multipart`) answer when they read this error.
impl From<DecompressedTooLarge> for crate::Error {
    fn from(e: DecompressedTooLarge) -> Self {
        crate::Error::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            crate::error::code::PAYLOAD_TOO_LARGE,
        )
        .message(e.to_string())
    }
}

/// `inner`, decompressed, failing once more than `limit` bytes come out.
pub(crate) struct Decoded {
    inner: Body,
    decoder: Decoder,
    input: Option<Input>,
    out: Vec<u8>,
    produced: u64,
    limit: u64,
    phase: Phase,
}

impl Decoded {
    pub(crate) fn new(inner: Body, decoder: Decoder, limit: u64) -> Self {
        Decoded {
            inner,
            decoder,
            input: None,
            out: Vec::new(),
            produced: 0,
            limit,
            phase: Phase::Streaming,
        }
    }

    fn emit(&mut self, len: usize) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.produced += len as u64;
        if self.produced > self.limit {
            self.phase = Phase::Done;
            return Poll::Ready(Some(Err(Box::new(DecompressedTooLarge {
                limit: self.limit,
            }))));
        }
        frame(&self.out[..len])
    }
}

impl http_body::Body for Decoded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.phase == Phase::Done {
            return Poll::Ready(None);
        }
        if this.out.is_empty() {
            this.out = vec![0; OUT];
        }
        loop {
            let mut w = WriteBuffer::new_initialized(&mut this.out);
            if let Some(input) = &mut this.input {
                let mut buf = PartialBuffer::new(&input.data[input.pos..]);
                let result = this.decoder.decode(&mut buf, &mut w);
                input.pos += buf.written_len();
                let at_end = match result {
                    Ok(end) => end,
                    Err(e) => {
                        this.phase = Phase::Done;
                        return Poll::Ready(Some(Err(e.into())));
                    }
                };
                if input.pos == input.data.len() {
                    this.input = None;
                }
                if at_end {
                    // Concatenated members (gzip) and frames (zstd) are one body.
                    if this.input.is_some() {
                        if let Err(e) = this.decoder.reinit() {
                            this.phase = Phase::Done;
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    } else {
                        this.phase = Phase::Finishing;
                    }
                }
                let n = w.written_len();
                if n > 0 {
                    return this.emit(n);
                }
                continue;
            }
            match this.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Finishing => {
                    // Drain the inner body: data after the end is an error.
                    match Pin::new(&mut this.inner).poll_frame(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(None) => {
                            this.phase = Phase::Done;
                            return Poll::Ready(None);
                        }
                        Poll::Ready(Some(Err(e))) => {
                            this.phase = Phase::Done;
                            return Poll::Ready(Some(Err(e)));
                        }
                        Poll::Ready(Some(Ok(f))) => {
                            if f.data_ref().is_some_and(|d| !d.is_empty()) {
                                this.phase = Phase::Done;
                                return Poll::Ready(Some(Err(
                                    "data after the end of the compressed request body".into(),
                                )));
                            }
                        }
                    }
                }
                Phase::Streaming => match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Ready(Some(Ok(f))) => {
                        if let Ok(data) = f.into_data()
                            && !data.is_empty()
                        {
                            this.input = Some(Input { data, pos: 0 });
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.phase = Phase::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(None) => {
                        // The stream ended before the codec saw its end.
                        let done = this.decoder.finish(&mut w);
                        this.phase = Phase::Done;
                        return match done {
                            Ok(_) => {
                                Poll::Ready(Some(Err("compressed request body ends early".into())))
                            }
                            Err(e) => Poll::Ready(Some(Err(e.into()))),
                        };
                    }
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.phase == Phase::Done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
