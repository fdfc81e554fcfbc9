//! An open WebSocket: receiving and sending messages, the closing handshake,
//! errors turned into the close codes RFC 6455 names, and the server's
//! shutdown turned into `1001 Going Away`.

use std::fmt;

use futures_util::{SinkExt, StreamExt};
use http::HeaderValue;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite;

use super::upgrade::Settings;
use super::{CloseCode, CloseFrame, Message};
use crate::serve::ShutdownWatch;

type Stream = WebSocketStream<TokioIo<Upgraded>>;

/// An open WebSocket connection, handed to the callback of
/// [`WebSocketUpgrade::on_upgrade`](super::WebSocketUpgrade::on_upgrade).
///
/// - **Receiving**: [`recv`](Self::recv) yields whole messages (fragments
///   reassembled); a peer's ping is answered with a pong on its own, and a
///   peer's `Close` is answered (echoing its code) before `recv` yields it;
///   after that, `recv` returns `None`. A protocol violation, a message or
///   frame over the limit, or text that is not UTF-8 closes the connection
///   with `1002`, `1009` or `1007` and yields the error once.
/// - **Sending**: [`send`](Self::send) returns once the message is written
///   to the socket, so a client that does not read makes the sender wait
///   (per-connection backpressure: nothing queues up in memory).
/// - **Server shutdown**: when the server begins to shut down, the socket
///   sends `1001 Going Away` (from inside `recv` or `send`, whichever runs),
///   waits up to the close timeout for the peer's answer, then ends: `recv`
///   returns `None`, `send` fails.
pub struct WebSocket {
    stream: Stream,
    shutdown: Option<ShutdownWatch>,
    protocol: Option<HeaderValue>,
    settings: Settings,
    /// We sent a close frame (the handshake is ours to finish).
    closing: bool,
    /// Nothing more can be read or written.
    closed: bool,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol)
            .field("closing", &self.closing)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// A WebSocket failed: the connection broke, the peer broke the protocol
/// (the socket already sent the matching close frame), or it is closed.
#[derive(Debug)]
pub struct WsError(tungstenite::Error);

impl WsError {
    /// Whether the connection is closed (by a closing handshake or a shutdown),
    /// as opposed to broken.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(
            self.0,
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed
        )
    }

    /// The close code the socket answered this error with, if it was the
    /// peer's fault (`1002`, `1007`, `1009`).
    #[must_use]
    pub fn close_code(&self) -> Option<CloseCode> {
        close_code_for(&self.0)
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for WsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The close code RFC 6455 section 7.4.1 names for a peer's error.
fn close_code_for(e: &tungstenite::Error) -> Option<CloseCode> {
    match e {
        tungstenite::Error::Capacity(_) => Some(CloseCode::TOO_BIG),
        tungstenite::Error::Utf8(_) => Some(CloseCode::INVALID_DATA),
        tungstenite::Error::Protocol(_) | tungstenite::Error::AttackAttempt => {
            Some(CloseCode::PROTOCOL)
        }
        _ => None,
    }
}

impl WebSocket {
    pub(super) fn new(
        stream: Stream,
        shutdown: Option<ShutdownWatch>,
        protocol: Option<HeaderValue>,
        settings: Settings,
    ) -> Self {
        WebSocket {
            stream,
            shutdown,
            protocol,
            settings,
            closing: false,
            closed: false,
        }
    }

    /// The subprotocol selected by [`WebSocketUpgrade::protocols`](super::WebSocketUpgrade::protocols).
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The next message; `None` once the connection is closed (after the
    /// closing handshake, or when the peer went away).
    ///
    /// Errors are yielded once, then `None`: see [`WsError`].
    pub async fn recv(&mut self) -> Option<Result<Message, WsError>> {
        loop {
            if self.closed {
                return None;
            }
            let next = if self.closing {
                // Our close frame is out: wait (bounded) for the peer's.
                match tokio::time::timeout(self.settings.close_timeout, self.stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.closed = true;
                        return None;
                    }
                }
            } else if let Some(shutdown) = &mut self.shutdown {
                tokio::select! {
                    biased;
                    () = shutdown.wait() => {
                        self.go_away().await;
                        continue;
                    }
                    next = self.stream.next() => next,
                }
            } else {
                self.stream.next().await
            };
            match next {
                None => {
                    self.closed = true;
                    return None;
                }
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    // tungstenite queued the answer (the same code, or 1002
                    // for an invalid one); send it now, not on the next call.
                    let _ = self.stream.flush().await;
                    if self.closing {
                        // The answer to our own close: the handshake is done.
                        self.closed = true;
                        return None;
                    }
                    self.closing = true;
                    let message = Message::from_tungstenite(tungstenite::Message::Close(frame));
                    return message.map(Ok);
                }
                Some(Ok(m)) => {
                    if self.closing {
                        // Data after our close frame is read and dropped.
                        continue;
                    }
                    if let Some(m) = Message::from_tungstenite(m) {
                        return Some(Ok(m));
                    }
                }
                Some(Err(e)) => {
                    self.fail(&e).await;
                    return if matches!(e, tungstenite::Error::ConnectionClosed) {
                        None
                    } else {
                        Some(Err(WsError(e)))
                    };
                }
            }
        }
    }

    /// Sends a message and waits until it is written to the socket.
    ///
    /// # Errors
    /// When the connection is closed or broken, or the server is shutting
    /// down (the `1001` close frame is sent first).
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), WsError> {
        if self.closing || self.closed {
            return Err(WsError(tungstenite::Error::AlreadyClosed));
        }
        if self.shutdown.as_ref().is_some_and(ShutdownWatch::fired) {
            self.go_away().await;
            return Err(WsError(tungstenite::Error::AlreadyClosed));
        }
        let message = message.into();
        let is_close = matches!(message, Message::Close(_));
        match self.stream.send(message.into_tungstenite()).await {
            Ok(()) => {
                self.closing |= is_close;
                Ok(())
            }
            Err(e) => {
                self.fail(&e).await;
                Err(WsError(e))
            }
        }
    }

    /// Starts the closing handshake with `code` and `reason`, and waits (up
    /// to the close timeout) for the peer's answer, reading and dropping
    /// any messages still in flight.
    ///
    /// # Errors
    /// When the connection broke before the close frame was written.
    pub async fn close(mut self, code: CloseCode, reason: &str) -> Result<(), WsError> {
        if !self.closing && !self.closed {
            self.send(Message::Close(Some(CloseFrame::new(code, reason))))
                .await?;
        }
        while self.recv().await.is_some() {}
        Ok(())
    }

    /// The server is shutting down: `1001 Going Away`, then wait for the answer.
    async fn go_away(&mut self) {
        self.shutdown = None;
        let frame = CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down");
        let sent = tokio::time::timeout(
            self.settings.close_timeout,
            self.stream
                .send(Message::Close(Some(frame)).into_tungstenite()),
        )
        .await;
        match sent {
            Ok(Ok(())) => self.closing = true,
            _ => self.closed = true,
        }
    }

    /// After a read or write error: tell the peer why, when it was its
    /// fault, and stop.
    async fn fail(&mut self, e: &tungstenite::Error) {
        if let Some(code) = close_code_for(e) {
            let reason = match code {
                CloseCode::TOO_BIG => "message too big",
                CloseCode::INVALID_DATA => "invalid UTF-8",
                _ => "protocol error",
            };
            let frame = Message::Close(Some(CloseFrame::new(code, reason))).into_tungstenite();
            let _ =
                tokio::time::timeout(self.settings.close_timeout, self.stream.send(frame)).await;
        }
        self.closed = true;
    }
}
