//! gzip, brotli and zstd encoders and decoders: async-compression's codec
//! layer (`async_compression::codecs`), driven directly.
//!
//! The codecs are the part of async-compression that does the work; its
//! `AsyncRead`/`AsyncWrite` adapters are built on them. Kiln's bodies are
//! chunk streams, not byte streams, so driving the codecs from a body's
//! `poll_frame` skips two adapters (and their buffers) per response. The
//! build-time embedder uses the same codecs, so both produce the same bytes.

// `fs-build` only encodes; `compression` does not encode all at once.
#![cfg_attr(
    not(all(feature = "compression", feature = "fs-build")),
    allow(dead_code)
)]

use std::io;

use async_compression::Level;
use async_compression::codecs::brotli::params::EncoderParams as BrotliParams;
use async_compression::codecs::{
    BrotliDecoder, BrotliEncoder, DecodeV2, EncodeV2, GzipDecoder, GzipEncoder, ZstdDecoder,
    ZstdEncoder,
};
use async_compression::core::util::{PartialBuffer, WriteBuffer};

use crate::content_coding::ContentCoding;

/// A boxed encoder (brotli's state is several hundred bytes; boxing keeps
/// the body small and the type the same for every coding).
pub(crate) type Encoder = Box<dyn EncodeV2 + Send>;
/// A boxed decoder.
pub(crate) type Decoder = Box<dyn DecodeV2 + Send>;

/// An encoder for `coding` at `level` (the coding's own scale: gzip 0–9,
/// brotli 0–11, zstd 1–22; out-of-range values are clamped).
pub(crate) fn encoder(coding: ContentCoding, level: i32) -> Encoder {
    match coding {
        ContentCoding::Gzip => Box::new(GzipEncoder::new(Level::Precise(level).into())),
        ContentCoding::Brotli => Box::new(BrotliEncoder::new(
            BrotliParams::default().quality(Level::Precise(level)),
        )),
        ContentCoding::Zstd => Box::new(ZstdEncoder::new(level.clamp(1, 22))),
    }
}

/// A decoder for `coding`.
pub(crate) fn decoder(coding: ContentCoding) -> Decoder {
    match coding {
        ContentCoding::Gzip => Box::new(GzipDecoder::new()),
        ContentCoding::Brotli => Box::new(BrotliDecoder::new()),
        ContentCoding::Zstd => Box::new(ZstdDecoder::new()),
    }
}

/// Encodes all of `input` at once (the build-time embedder, tests).
pub(crate) fn encode_all(coding: ContentCoding, level: i32, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc = encoder(coding, level);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = PartialBuffer::new(input);
    while !input.unwritten().is_empty() {
        let mut w = WriteBuffer::new_initialized(&mut buf);
        enc.encode(&mut input, &mut w)?;
        out.extend_from_slice(w.written());
    }
    loop {
        let mut w = WriteBuffer::new_initialized(&mut buf);
        let done = enc.finish(&mut w)?;
        out.extend_from_slice(w.written());
        if done {
            return Ok(out);
        }
    }
}

/// Decodes all of `input` at once, failing past `limit` bytes of output (tests).
#[cfg(test)]
pub(crate) fn decode_all(coding: ContentCoding, input: &[u8], limit: usize) -> io::Result<Vec<u8>> {
    let mut dec = decoder(coding);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = PartialBuffer::new(input);
    loop {
        let mut w = WriteBuffer::new_initialized(&mut buf);
        let done = dec.decode(&mut input, &mut w)?;
        out.extend_from_slice(w.written());
        if out.len() > limit {
            return Err(io::Error::other("over the limit"));
        }
        if done {
            return Ok(out);
        }
        if input.unwritten().is_empty() && w.written_len() == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_coding_round_trips() {
        let text = "kiln compresses this line. ".repeat(1000);
        for coding in ContentCoding::ALL {
            let packed = encode_all(coding, 5, text.as_bytes()).unwrap();
            assert!(
                packed.len() < text.len() / 10,
                "{coding:?}: {}",
                packed.len()
            );
            let back = decode_all(coding, &packed, usize::MAX).unwrap();
            assert_eq!(back, text.as_bytes(), "{coding:?}");
        }
    }
}
