//! Server timing: `Server-Timing: total;dur=<ms>` on every response.

use std::time::Instant;

use http::header::HeaderName;

use super::{scratch_value, write_u64};
use crate::{Response, middleware};

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// The server timing middleware: appends `Server-Timing: total;dur=1.234`
/// (milliseconds, microsecond precision) to every response, measured from its
/// `pre` hook to its `post` hook. Appended, so metrics the handler added stay.
///
/// The duration covers the middleware inside it and the handler, not the
/// writing of a streamed body. Browsers show it in the network panel.
///
/// Default priority -85. The header value is built per request, from a
/// per-thread slab (no allocation of its own).
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::ServerTiming;
///
/// #[handler]
/// fn index() -> &'static str { "ok" }
///
/// chain! {
///     struct App;
///     singletons { timing: ServerTiming }
///     middleware { kiln::builtin::ServerTiming }
///     routes { GET "/" => index }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let res = TestClient::new(App::new(AppSingletons { timing: ServerTiming::new() })).get("/").send().await;
/// assert!(res.header("server-timing").unwrap().starts_with("total;dur="));
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerTiming {
    _private: (),
}

impl ServerTiming {
    /// The middleware (it has nothing to configure).
    #[must_use]
    pub fn new() -> Self {
        ServerTiming { _private: () }
    }
}

/// When [`ServerTiming`]'s `pre` hook ran; injectable as `&ServerTimingStart`.
#[derive(Debug, Clone, Copy)]
pub struct ServerTimingStart(pub Instant);

#[middleware(priority = -85, pre_route, post_route)]
impl ServerTiming {
    /// Notes the time.
    #[inline]
    #[must_use]
    pub fn pre(&self) -> ServerTimingStart {
        ServerTimingStart(Instant::now())
    }

    /// Appends `Server-Timing: total;dur=<ms>`.
    #[inline]
    pub fn post(&self, start: &ServerTimingStart, res: &mut Response) {
        let micros = u64::try_from(start.0.elapsed().as_micros()).unwrap_or(u64::MAX);
        let value = scratch_value::<40>(|buf| write_total(buf, micros));
        res.headers_mut().append(SERVER_TIMING, value);
    }
}

/// `total;dur=<micros / 1000>.<micros % 1000, 3 digits>`.
fn write_total(buf: &mut [u8; 40], micros: u64) -> usize {
    const PREFIX: &[u8] = b"total;dur=";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut n = PREFIX.len();
    n += write_u64(&mut buf[n..], micros / 1000);
    let frac = micros % 1000;
    // Three digits, each < 10.
    #[allow(clippy::cast_possible_truncation)]
    let digits = [
        (frac / 100) as u8,
        (frac / 10 % 10) as u8,
        (frac % 10) as u8,
    ];
    buf[n] = b'.';
    for (i, d) in digits.iter().enumerate() {
        buf[n + 1 + i] = b'0' + d;
    }
    n + 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_milliseconds_with_three_decimals() {
        let fmt = |m| {
            let mut b = [0u8; 40];
            let n = write_total(&mut b, m);
            String::from_utf8(b[..n].to_vec()).unwrap()
        };
        assert_eq!(fmt(0), "total;dur=0.000");
        assert_eq!(fmt(1), "total;dur=0.001");
        assert_eq!(fmt(12_345), "total;dur=12.345");
        assert_eq!(fmt(u64::MAX), format!("total;dur={}.615", u64::MAX / 1000));
    }
}
