//! What the server knows about the connection a request arrived on, and the
//! per-connection arena.

use std::net::SocketAddr;

use bumpalo::Bump;

/// The body size limit when none is configured: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Facts about a connection, shared by every request on it.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The client's address; `None` when the app is not behind [`serve`](crate::serve)
    /// (mounted as a tower service without `ConnectInfo`, say).
    pub peer: Option<SocketAddr>,
    /// The local address the connection was accepted on.
    pub local: Option<SocketAddr>,
    /// The largest request body that body extractors read, in bytes.
    pub body_limit: usize,
}

impl Default for ConnInfo {
    fn default() -> Self {
        ConnInfo {
            peer: None,
            local: None,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// A connection as an [`App`](crate::App) sees it: its [`ConnInfo`] and its
/// arena, a [`Bump`] reset between requests.
///
/// Servers keep one per connection (HTTP/1.1 runs one request at a time) and
/// hand it to [`App::handle`](crate::App::handle) by `&mut`; the arena's
/// memory is reused from request to request, so scratch allocations made in it
/// cost no calls to the global allocator once it has grown.
#[derive(Debug, Default)]
pub struct Conn {
    info: ConnInfo,
    arena: Bump,
}

impl Conn {
    /// A connection with these facts and an empty arena (which allocates
    /// nothing until first used).
    #[must_use]
    pub fn new(info: ConnInfo) -> Self {
        Conn {
            info,
            arena: Bump::new(),
        }
    }

    /// The connection's facts.
    #[must_use]
    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// The arena.
    #[must_use]
    pub fn arena(&self) -> &Bump {
        &self.arena
    }

    /// Frees everything allocated in the arena, keeping its largest chunk for reuse.
    /// Servers call it after every request.
    pub fn reset(&mut self) {
        self.arena.reset();
    }

    /// The facts and the arena, borrowed separately (generated code reads the
    /// facts across `.await`s and lends the arena only to synchronous calls).
    #[doc(hidden)]
    pub fn split(&mut self) -> (&ConnInfo, &mut Bump) {
        (&self.info, &mut self.arena)
    }
}
