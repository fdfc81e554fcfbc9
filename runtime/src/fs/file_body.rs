//! A response body that streams a byte range of a file, one chunk at a time.
//!
//! Reads run on tokio's blocking pool (file I/O has no readiness to wait
//! for), one chunk in flight at a time: memory stays at one chunk however big
//! the file, and a slow client stops the reads (hyper stops polling).

use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::task::JoinHandle;

use crate::BoxError;

type Read_ = JoinHandle<(File, io::Result<Vec<u8>>)>;

/// `remaining` bytes of `file` from its current position, in chunks of `chunk`.
pub(crate) struct FileBody {
    state: State,
    remaining: u64,
    chunk: usize,
}

enum State {
    Idle(File),
    Reading(Read_),
    Done,
}

impl FileBody {
    /// Streams `len` bytes from `file`'s current position.
    pub(crate) fn new(file: File, len: u64, chunk: usize) -> Self {
        FileBody {
            state: State::Idle(file),
            remaining: len,
            chunk: chunk.max(1),
        }
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(_) if this.remaining == 0 => return Poll::Ready(None),
                State::Idle(file) => {
                    let n =
                        usize::try_from(this.remaining).map_or(this.chunk, |r| r.min(this.chunk));
                    this.state = State::Reading(tokio::task::spawn_blocking(move || {
                        let mut file = file;
                        let result = read_chunk(&mut file, n);
                        (file, result)
                    }));
                }
                State::Reading(mut task) => match Pin::new(&mut task).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Reading(task);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok((file, Ok(data)))) => {
                        this.remaining -= data.len() as u64;
                        this.state = State::Idle(file);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(data)))));
                    }
                    Poll::Ready(Ok((_, Err(e)))) => return Poll::Ready(Some(Err(e.into()))),
                    Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Reads exactly `n` bytes (without zeroing the buffer first); a file that
/// shrank since it was opened is an error, since `Content-Length` was sent.
pub(crate) fn read_chunk(file: &mut File, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    file.take(n as u64).read_to_end(&mut buf)?;
    if buf.len() < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file shrank while it was being served",
        ));
    }
    Ok(buf)
}
