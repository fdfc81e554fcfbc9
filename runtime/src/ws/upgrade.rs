//! The opening handshake (RFC 6455 section 4.2): checking the client's
//! request, answering `101 Switching Protocols`, and taking over the
//! connection once hyper hands it over.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::WebSocket;
use crate::error::{Error, code};
use crate::serve::ShutdownWatch;
use crate::{Body, Extracting, FromRequest, Request, RequestCx, Response};

/// A WebSocket opening handshake, checked: take it in a `GET` handler and
/// answer with [`on_upgrade`](Self::on_upgrade).
///
/// Extracting it checks the request (RFC 6455 section 4.2.1): a `GET` (else
/// `405`, with `Allow`), `Connection: upgrade` and `Upgrade: websocket` (else
/// `426 Upgrade Required`, code `upgrade_required`, with `Upgrade`),
/// `Sec-WebSocket-Version: 13` (else `426` with the supported version in
/// `Sec-WebSocket-Version`), a valid `Sec-WebSocket-Key` (else `400`,
/// `missing_header` or `invalid_header`). Each rejection is a
/// [`kiln::Error`](crate::Error). Middleware have already run by
/// then: an auth, CORS or rate-limit rejection is answered before any upgrade.
///
/// | setting | default |
/// |---|---|
/// | [`max_message_size`](Self::max_message_size) | 1 MiB (reassembled fragments included) |
/// | [`max_frame_size`](Self::max_frame_size) | 1 MiB |
/// | [`read_buffer_size`](Self::read_buffer_size) | 32 KiB |
/// | [`close_timeout`](Self::close_timeout) | 5 s |
/// | [`protocols`](Self::protocols) | none (no `Sec-WebSocket-Protocol` in the answer) |
pub struct WebSocketUpgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
    offered: Option<HeaderValue>,
    selected: Option<HeaderValue>,
    pub(super) settings: Settings,
}

/// The per-connection settings a [`WebSocket`] is built with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    pub(super) max_message: usize,
    pub(super) max_frame: usize,
    pub(super) read_buffer: usize,
    pub(super) close_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_message: 1 << 20,
            max_frame: 1 << 20,
            read_buffer: 32 * 1024,
            close_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("offered", &self.offered)
            .field("selected", &self.selected)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl FromRequest for WebSocketUpgrade {
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, _: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        Extracting::ready(check(req))
    }
}

fn check(req: &mut Request) -> Result<WebSocketUpgrade, Error> {
    if req.method() != Method::GET {
        return Err(
            Error::new(StatusCode::METHOD_NOT_ALLOWED, code::METHOD_NOT_ALLOWED)
                .message("a WebSocket handshake is a `GET` request")
                .header(header::ALLOW, HeaderValue::from_static("GET")),
        );
    }
    let headers = req.headers();
    if !has_token(headers, &header::CONNECTION, "upgrade")
        || !has_token(headers, &header::UPGRADE, "websocket")
    {
        return Err(upgrade_required(
            "expected a WebSocket handshake: `connection: upgrade` and `upgrade: websocket`",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        // RFC 6455 §4.4: name the versions this server speaks.
        return Err(
            upgrade_required("unsupported `sec-websocket-version`: only 13 is").header(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            ),
        );
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(Error::new(StatusCode::BAD_REQUEST, code::MISSING_HEADER)
            .message("missing header `sec-websocket-key` (16 bytes in base64)"));
    };
    if !is_key(key.as_bytes()) {
        return Err(Error::new(StatusCode::BAD_REQUEST, code::INVALID_HEADER)
            .message("invalid header `sec-websocket-key`: expected 16 bytes in base64"));
    }
    let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .expect("base64 is a valid header value");
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL).cloned();
    let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
        tracing::error!(
            "this connection cannot be upgraded: WebSockets need `kiln::serve` over HTTP/1.1"
        );
        return Err(Error::internal());
    };
    Ok(WebSocketUpgrade {
        on_upgrade,
        accept,
        offered,
        selected: None,
        settings: Settings::default(),
    })
}

/// Whether a comma-separated header lists `token` (case-insensitively).
fn has_token(headers: &HeaderMap, name: &header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// A `Sec-WebSocket-Key`: 16 bytes in base64, so 22 symbols and `==`.
fn is_key(key: &[u8]) -> bool {
    key.len() == 24
        && key[22..] == *b"=="
        && key[..22]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

impl WebSocketUpgrade {
    /// The largest message accepted, fragments reassembled; a larger one
    /// closes the connection with `1009`.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.settings.max_message = bytes;
        self
    }

    /// The largest frame accepted; a larger one closes with `1009`.
    #[must_use]
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.settings.max_frame = bytes;
        self
    }

    /// The read buffer each connection allocates (memory per connection
    /// against system calls per message).
    #[must_use]
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.settings.read_buffer = bytes;
        self
    }

    /// How long a closing handshake (ours, or the server's `1001` on
    /// shutdown) waits for the peer's answer before dropping the connection.
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.settings.close_timeout = timeout;
        self
    }

    /// The subprotocols the server speaks, by preference: the first the
    /// client also offered (`Sec-WebSocket-Protocol`) is selected and named
    /// in the answer (see [`WebSocket::protocol`]). None in common: no
    /// protocol is named, and the client decides whether to go on.
    #[must_use]
    pub fn protocols<I, S>(mut self, supported: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let offered: Vec<&str> = self
            .offered
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').map(str::trim).collect())
            .unwrap_or_default();
        self.selected = supported
            .into_iter()
            .find(|p| offered.contains(&p.as_ref()))
            .and_then(|p| HeaderValue::from_str(p.as_ref()).ok());
        self
    }

    /// The protocols the client offered (`Sec-WebSocket-Protocol`), as sent.
    #[must_use]
    pub fn offered_protocols(&self) -> Option<&str> {
        self.offered.as_ref().and_then(|v| v.to_str().ok())
    }

    /// Answers `101 Switching Protocols` and, once hyper hands the
    /// connection over, runs `callback` with the [`WebSocket`] on a task of
    /// its own. Return the response from the handler.
    ///
    /// The task ends when `callback` does; a socket dropped without a
    /// closing handshake is an abnormal closure (`1006`) to the client, so
    /// let `recv` return `None` or call [`WebSocket::close`] first.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WebSocketUpgrade {
            on_upgrade,
            accept,
            selected,
            settings,
            ..
        } = self;
        // Subscribed now, inside the request's task: the drain waits for it.
        let shutdown = ShutdownWatch::current();
        let protocol = selected.clone();
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "WebSocket upgrade failed");
                    return;
                }
            };
            let config = WebSocketConfig::default()
                .max_message_size(Some(settings.max_message))
                .max_frame_size(Some(settings.max_frame))
                .read_buffer_size(settings.read_buffer);
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            callback(WebSocket::new(stream, shutdown, protocol, settings)).await;
        });
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = res.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        if let Some(p) = selected {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
        }
        res
    }
}

/// `426 Upgrade Required`, code `upgrade_required`, with the `Upgrade` and
/// `Connection` headers RFC 9110 §15.5.22 asks for.
fn upgrade_required(message: &'static str) -> Error {
    Error::new(StatusCode::UPGRADE_REQUIRED, code::UPGRADE_REQUIRED)
        .message(message)
        .header(header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(header::CONNECTION, HeaderValue::from_static("upgrade"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(is_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_key(b"dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_key(b"dGhlIHNhbXBsZSBub25jZQ!="));
        assert!(!is_key(b""));
    }

    #[test]
    fn the_rfc_example_accept_value() {
        // RFC 6455 section 1.3.
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn tokens_in_lists() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, Upgrade".parse().unwrap());
        assert!(has_token(&h, &header::CONNECTION, "upgrade"));
        assert!(!has_token(&h, &header::UPGRADE, "websocket"));
    }
}
