//! Compression: gzip, brotli and zstd response compression negotiated by
//! `Accept-Encoding`, and optional request decompression with a limit.

mod coded_body;

use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
    ETAG, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body::Body as _;

use super::{ConfigError, scratch_value};
use crate::codec;
use crate::content_coding::{Accepted, ContentCoding, is_incompressible};
use crate::error::{Error, code};
use crate::{Body, Request, Response, middleware};

pub use coded_body::DecompressedTooLarge;
use coded_body::{Decoded, Encoded};

/// The compression middleware: compresses response bodies with the best
/// coding the client accepts, streaming (one input chunk and one 16 KiB
/// output buffer per response, whatever the body's size).
///
/// **Negotiation** follows RFC 9110 §12.5.3: q-values, `*`, and
/// `identity;q=0`. The coding with the highest weight wins; ties go to the
/// order of [`CompressionBuilder::codings`] (default zstd, brotli, gzip). A
/// coding weighed below identity is not used. A request without
/// `Accept-Encoding` gets no coding. When nothing is acceptable — identity
/// refused and no offered coding accepted — the request is answered `406 Not
/// Acceptable` before the handler runs.
///
/// **Left alone** (sent as they are): `1xx`, `204`, `206` (a range of the
/// unencoded bytes), `304`; responses that already have `Content-Encoding`
/// (precompressed files); `Cache-Control: no-transform`; no `Content-Type`;
/// compressed types (images but SVG, audio, video, WOFF, archives, PDF),
/// `text/event-stream` (it must reach the client event by event) and types
/// added with [`CompressionBuilder::skip_type`]; bodies whose known size is
/// under [`CompressionBuilder::min_size`] (default 1 KiB) unless the client
/// refused identity.
///
/// A compressible response gets `Vary: Accept-Encoding` whether or not this
/// client accepted a coding. A compressed one gets `Content-Encoding`, loses
/// `Content-Length` (it is sent chunked, or as HTTP/2 data frames) and
/// `Accept-Ranges` (ranges would address the compressed bytes), and its
/// strong `ETag` becomes weak (`W/"..."`): it is another representation.
///
/// **Request decompression** ([`CompressionBuilder::decompress_requests`],
/// off by default): a request body with `Content-Encoding: gzip`, `br` or
/// `zstd` is decoded while it is read, and more than the limit of decoded
/// bytes is a `413` from the body extractors — a zip bomb costs one output
/// buffer, not memory. Another coding (or several) is `415` with
/// `Accept-Encoding` naming the ones supported. List it after
/// [`BodyLimit`](super::BodyLimit) (the default priorities do) so that the
/// wire size is limited too.
///
/// Default priority -35: inside the body limit, outside rate limiting and
/// auth; its post hook runs after every middleware inside it has shaped the
/// response.
///
/// ```
/// use kiln::prelude::*;
/// use kiln::builtin::Compression;
///
/// #[handler]
/// fn report() -> Json<Vec<u32>> { Json((0..2000).collect()) }
///
/// chain! {
///     struct App;
///     singletons { compression: Compression }
///     middleware { kiln::builtin::Compression }
///     routes { GET "/report" => report }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new(AppSingletons { compression: Compression::default() }));
/// let res = client.get("/report").header("accept-encoding", "gzip, br;q=0.5").send().await;
/// assert_eq!(res.header("content-encoding"), Some("gzip"));
/// assert_eq!(res.header("vary"), Some("accept-encoding"));
/// let res = client.get("/report").header("accept-encoding", "identity;q=0").send().await;
/// assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Compression {
    codings: Vec<ContentCoding>,
    levels: [i32; 3],
    min_size: u64,
    skip: Vec<String>,
    decompress_limit: Option<u64>,
    offered: HeaderValue,
}

impl Default for Compression {
    /// zstd (level 3), brotli (4) and gzip (6), bodies from 1 KiB, no
    /// request decompression.
    fn default() -> Self {
        Compression::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

impl Compression {
    /// Starts from the defaults.
    pub fn builder() -> CompressionBuilder {
        CompressionBuilder {
            codings: vec![
                ContentCoding::Zstd,
                ContentCoding::Brotli,
                ContentCoding::Gzip,
            ],
            levels: [6, 4, 3],
            min_size: 1024,
            skip: Vec::new(),
            decompress_limit: None,
        }
    }

    fn level(&self, coding: ContentCoding) -> i32 {
        self.levels[slot(coding)]
    }

    fn skipped_type(&self, ct: &str) -> bool {
        let media = ct.split(';').next().unwrap_or("").trim();
        if is_incompressible(media) || media.eq_ignore_ascii_case("text/event-stream") {
            return true;
        }
        self.skip.iter().any(|s| match s.strip_suffix("/*") {
            Some(top) => media
                .split_once('/')
                .is_some_and(|(t, _)| t.eq_ignore_ascii_case(top)),
            None => media.eq_ignore_ascii_case(s),
        })
    }

    fn decompress(req: &mut Request, limit: u64) -> Result<(), Error> {
        let Some(value) = req.headers().get(CONTENT_ENCODING) else {
            return Ok(());
        };
        let value = value.to_str().unwrap_or("").trim();
        if value.eq_ignore_ascii_case("identity") {
            return Ok(());
        }
        let coding = ContentCoding::from_token(value).ok_or_else(unsupported_encoding)?;
        let headers = req.headers_mut();
        headers.remove(CONTENT_ENCODING);
        headers.remove(CONTENT_LENGTH);
        let body = std::mem::take(req.body_mut());
        *req.body_mut() = Body::wrap(Decoded::new(body, codec::decoder(coding), limit));
        Ok(())
    }
}

/// The request codings [`Compression`] decodes, whatever it offers for responses.
const DECODED: &str = "gzip, br, zstd";

const fn slot(coding: ContentCoding) -> usize {
    match coding {
        ContentCoding::Gzip => 0,
        ContentCoding::Brotli => 1,
        ContentCoding::Zstd => 2,
    }
}

/// What [`Compression`]'s `pre` hook decided for the response; injectable as
/// `&Negotiated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The coding to use, if the response turns out compressible.
    pub coding: Option<ContentCoding>,
    /// The client refused an unencoded response (`identity;q=0`): small
    /// bodies are compressed too.
    pub identity_refused: bool,
    head: bool,
}

/// `406 Not Acceptable`, code `not_acceptable`: the client refused identity
/// and every coding offered.
fn not_acceptable(offered: &HeaderValue) -> Error {
    Error::new(StatusCode::NOT_ACCEPTABLE, code::NOT_ACCEPTABLE).message(format!(
        "no acceptable content coding: `Accept-Encoding` refuses identity and this server offers only {}",
        offered.to_str().unwrap_or("")
    ))
}

/// `415 Unsupported Media Type`, code `unsupported_media_type`: the request
/// body's `Content-Encoding` is not one this server decodes; the response's
/// `Accept-Encoding` says which are (RFC 9110 §15.5.16).
fn unsupported_encoding() -> Error {
    Error::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code::UNSUPPORTED_MEDIA_TYPE,
    )
    .message(format!(
        "request `Content-Encoding` not supported; send one of {DECODED} (one coding, not several)"
    ))
    .header(ACCEPT_ENCODING, HeaderValue::from_static(DECODED))
}

#[middleware(priority = -35, pre_route, post_route)]
impl Compression {
    /// Decodes a compressed request body (when configured) and negotiates the
    /// response's coding.
    ///
    /// # Errors
    /// `406` (code `not_acceptable`) when nothing is acceptable, `415`
    /// (code `unsupported_media_type`, with `Accept-Encoding`) for a request
    /// body in an unknown coding.
    #[inline]
    pub fn pre(&self, req: &mut Request) -> Result<Negotiated, Error> {
        if let Some(limit) = self.decompress_limit {
            Self::decompress(req, limit)?;
        }
        let accepted = Accepted::from_headers(req.headers());
        let coding = accepted.best(&self.codings);
        if coding.is_none() && !accepted.identity_allowed() {
            return Err(not_acceptable(&self.offered));
        }
        Ok(Negotiated {
            coding,
            identity_refused: !accepted.identity_allowed(),
            head: req.method() == Method::HEAD,
        })
    }

    /// Compresses the response when it should be.
    #[inline]
    pub fn post(&self, negotiated: &Negotiated, res: &mut Response) {
        let status = res.status();
        if status.is_informational()
            || matches!(
                status,
                StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
            )
        {
            return;
        }
        let headers = res.headers();
        if headers.contains_key(CONTENT_ENCODING) || no_transform(headers) {
            return;
        }
        let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
            return;
        };
        if self.skipped_type(ct) {
            return;
        }
        let len = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .or_else(|| res.body().size_hint().exact());
        if len.is_some_and(|n| n < self.min_size) && !negotiated.identity_refused {
            return;
        }
        let headers = res.headers_mut();
        if !varies_by_encoding(headers) {
            headers.append(VARY, HeaderValue::from_static("accept-encoding"));
        }
        let Some(coding) = negotiated.coding else {
            return;
        };
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
        headers.remove(CONTENT_LENGTH);
        headers.remove(ACCEPT_RANGES);
        if let Some(weak) = headers.get(ETAG).and_then(weaken) {
            headers.insert(ETAG, weak);
        }
        let body = std::mem::take(res.body_mut());
        *res.body_mut() = if negotiated.head {
            // No body is sent; an unknown length keeps `Content-Length` off.
            Body::wrap(Encoded::new(Body::empty(), codec::encoder(coding, 1)))
        } else {
            Body::wrap(Encoded::new(
                body,
                codec::encoder(coding, self.level(coding)),
            ))
        };
    }
}

fn no_transform(headers: &HeaderMap) -> bool {
    headers.get_all(CACHE_CONTROL).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-transform"))
        })
    })
}

fn varies_by_encoding(headers: &HeaderMap) -> bool {
    headers.get_all(VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|f| {
                let f = f.trim();
                f == "*" || f.eq_ignore_ascii_case("accept-encoding")
            })
        })
    })
}

/// `"x"` → `W/"x"`; `None` when already weak or not a tag.
fn weaken(etag: &HeaderValue) -> Option<HeaderValue> {
    let tag = etag.as_bytes();
    if !tag.starts_with(b"\"") {
        return None;
    }
    if tag.len() <= 126 {
        return Some(scratch_value::<128>(|buf| {
            buf[..2].copy_from_slice(b"W/");
            buf[2..2 + tag.len()].copy_from_slice(tag);
            tag.len() + 2
        }));
    }
    let mut v = b"W/".to_vec();
    v.extend_from_slice(tag);
    HeaderValue::from_bytes(&v).ok()
}

/// Builds a [`Compression`] configuration.
#[derive(Debug, Clone)]
#[must_use]
pub struct CompressionBuilder {
    codings: Vec<ContentCoding>,
    levels: [i32; 3],
    min_size: u64,
    skip: Vec<String>,
    decompress_limit: Option<u64>,
}

impl CompressionBuilder {
    /// The codings offered, in order of preference for equal weights
    /// (default zstd, brotli, gzip).
    pub fn codings(mut self, codings: &[ContentCoding]) -> Self {
        self.codings = codings.to_vec();
        self
    }

    /// The level of one coding: gzip 0–9 (default 6), brotli 0–11 (default 4;
    /// 11 is for build-time compression, ~50x slower), zstd 1–22 (default 3).
    pub fn level(mut self, coding: ContentCoding, level: i32) -> Self {
        self.levels[slot(coding)] = level;
        self
    }

    /// Bodies of a known size below this are sent as they are (default 1024
    /// bytes): the framing would eat the gain.
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Never compresses this media type (`application/x-custom`) or top-level
    /// type (`model/*`), in addition to the compressed types left alone anyway.
    pub fn skip_type(mut self, media_type: &str) -> Self {
        self.skip.push(media_type.trim().to_owned());
        self
    }

    /// Decodes request bodies sent with `Content-Encoding: gzip`, `br` or
    /// `zstd`, failing past `max_decoded` bytes of decoded data (413).
    pub fn decompress_requests(mut self, max_decoded: u64) -> Self {
        self.decompress_limit = Some(max_decoded);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// No coding offered, a coding listed twice, a level out of its range, a
    /// decoded-size limit of 0, or a skipped type that is not `type/subtype`
    /// or `type/*`.
    pub fn build(self) -> Result<Compression, ConfigError> {
        let err = |m: String| ConfigError::new("Compression", m);
        if self.codings.is_empty() {
            return Err(err(
                "no coding offered; offer at least one of gzip, br, zstd, or do not list `Compression`".into(),
            ));
        }
        for (i, c) in self.codings.iter().enumerate() {
            if self.codings[..i].contains(c) {
                return Err(err(format!("`{}` is offered twice", c.token())));
            }
        }
        for (coding, range) in [
            (ContentCoding::Gzip, 0..=9),
            (ContentCoding::Brotli, 0..=11),
            (ContentCoding::Zstd, 1..=22),
        ] {
            let level = self.levels[slot(coding)];
            if !range.contains(&level) {
                return Err(err(format!(
                    "{} level {level} is out of range; give {}..={}",
                    coding.token(),
                    range.start(),
                    range.end()
                )));
            }
        }
        if self.decompress_limit == Some(0) {
            return Err(err(
                "a decoded-size limit of 0 rejects every compressed body; give at least 1".into(),
            ));
        }
        for s in &self.skip {
            let valid = s.split_once('/').is_some_and(|(t, sub)| {
                !t.is_empty()
                    && !sub.is_empty()
                    && !s.contains([' ', ';', ','])
                    && (sub == "*" || !sub.contains('*'))
            });
            if !valid {
                return Err(err(format!(
                    "skipped type `{s}` must be `type/subtype` or `type/*`"
                )));
            }
        }
        let offered = self
            .codings
            .iter()
            .map(|c| c.token())
            .collect::<Vec<_>>()
            .join(", ");
        let offered = HeaderValue::from_str(&offered)
            .map_err(|_| err("coding tokens are not valid header text".into()))?;
        Ok(Compression {
            offered,
            codings: self.codings,
            levels: self.levels,
            min_size: self.min_size,
            skip: self.skip,
            decompress_limit: self.decompress_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked() {
        let e = Compression::builder().codings(&[]).build().unwrap_err();
        assert!(e.message().contains("at least one"), "{e}");
        let e = Compression::builder()
            .level(ContentCoding::Brotli, 12)
            .build()
            .unwrap_err();
        assert!(e.message().contains("br level 12"), "{e}");
        let e = Compression::builder()
            .codings(&[ContentCoding::Gzip, ContentCoding::Gzip])
            .build()
            .unwrap_err();
        assert!(e.message().contains("twice"), "{e}");
        assert!(
            Compression::builder()
                .decompress_requests(0)
                .build()
                .is_err()
        );
        assert!(Compression::builder().skip_type("model").build().is_err());
        assert!(Compression::builder().skip_type("model/*").build().is_ok());
    }

    #[test]
    fn skipped_types() {
        let c = Compression::builder()
            .skip_type("application/x-custom")
            .skip_type("model/*")
            .build()
            .unwrap();
        assert!(c.skipped_type("image/png"));
        assert!(c.skipped_type("text/event-stream"));
        assert!(c.skipped_type("application/x-custom; v=1"));
        assert!(c.skipped_type("model/gltf+json"));
        assert!(!c.skipped_type("application/json"));
        assert!(!c.skipped_type("image/svg+xml"));
    }

    #[test]
    fn tags_weaken() {
        let v = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(weaken(&v("\"abc\"")).unwrap(), "W/\"abc\"");
        assert_eq!(weaken(&v("W/\"abc\"")), None);
        let long = format!("\"{}\"", "a".repeat(200));
        let w = weaken(&HeaderValue::from_str(&long).unwrap()).unwrap();
        assert_eq!(w.to_str().unwrap(), format!("W/{long}"));
    }
}
