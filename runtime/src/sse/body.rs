//! The response body of an [`Sse`](super::Sse): events as they come,
//! keep-alive comments in the silences, an end on server shutdown.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::{IntoEvent, KeepAlive};
use crate::BoxError;
use crate::serve::ShutdownWatch;

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

pin_project_lite::pin_project! {
    pub(super) struct SseBody<S> {
        #[pin]
        stream: S,
        keep_alive: Option<Ticker>,
        shutdown: Option<Shutdown>,
        done: bool,
    }
}

/// The keep-alive timer, created on first poll (so building a response
/// outside a runtime with timers does not panic).
struct Ticker {
    config: KeepAlive,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Ticker {
    /// Restarts the silence: an event just went out.
    fn reset(&mut self) {
        if let Some(sleep) = &mut self.sleep {
            sleep.as_mut().reset(Instant::now() + self.config.interval);
        }
    }

    /// Ready with the comment once the stream was silent for the interval.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Bytes> {
        let interval = self.config.interval;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        ready!(sleep.as_mut().poll(cx));
        sleep.as_mut().reset(Instant::now() + interval);
        Poll::Ready(self.config.comment.clone())
    }
}

impl<S> SseBody<S> {
    pub(super) fn new(
        stream: S,
        keep_alive: Option<KeepAlive>,
        shutdown: Option<ShutdownWatch>,
    ) -> Self {
        SseBody {
            stream,
            keep_alive: keep_alive.map(|config| Ticker {
                config,
                sleep: None,
            }),
            shutdown: shutdown
                .map(|mut watch| -> Shutdown { Box::pin(async move { watch.wait().await }) }),
            done: false,
        }
    }
}

impl<S> http_body::Body for SseBody<S>
where
    S: futures_core::Stream,
    S::Item: IntoEvent,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        // Shutdown first: between two events, end the response cleanly.
        if let Some(shutdown) = this.shutdown
            && shutdown.as_mut().poll(cx).is_ready()
        {
            *this.done = true;
            return Poll::Ready(None);
        }
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => match item.into_event() {
                Ok(event) => {
                    if let Some(ticker) = this.keep_alive {
                        ticker.reset();
                    }
                    Poll::Ready(Some(Ok(Frame::data(event.into_bytes()))))
                }
                Err(e) => {
                    // A clean end: the events before it are delivered (an
                    // aborted response may lose what is still buffered), and
                    // an `EventSource` reconnects either way.
                    tracing::warn!(error = %e, "server-sent event stream failed; ending it");
                    *this.done = true;
                    Poll::Ready(None)
                }
            },
            Poll::Ready(None) => {
                *this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.keep_alive {
                Some(ticker) => ticker.poll(cx).map(|c| Some(Ok(Frame::data(c)))),
                None => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
