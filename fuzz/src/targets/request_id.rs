//! `request_id`: `RequestIds`' validation of incoming ids and its builder.
//!
//! Input: a header name, `max_len`, `trust_incoming`, then raw header values.
//! Invariants: the builder never panics and refuses an invalid name or a
//! `max_len` outside 1..=1024; an incoming id is kept exactly when it is 1 to
//! `max_len` characters of `A-Z a-z 0-9 - _ . : + / = @ ~` (the documented
//! set) and incoming ids are trusted; otherwise the id is 32 lowercase hex
//! characters; the response echoes the id.

use arbitrary::Unstructured;
use http::HeaderValue;
use kiln::Response;
use kiln::builtin::RequestIds;

use crate::support;

/// See the module docs.
pub fn request_id(data: &[u8]) {
    let _ = run(&mut Unstructured::new(data));
}

fn run(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let name: &str = if u.ratio(3, 4)? {
        "x-request-id"
    } else {
        u.arbitrary()?
    };
    let max_len = if u.ratio(3, 4)? {
        128
    } else {
        usize::from(u.arbitrary::<u16>()?)
    };
    let trust = u.ratio(7, 8)?;
    let built = RequestIds::builder()
        .header(name)
        .max_len(max_len)
        .trust_incoming(trust)
        .build();
    let Ok(ids) = built else { return Ok(()) };
    assert!((1..=1024).contains(&max_len), "max_len {max_len} accepted");
    assert_eq!(
        ids.header_name().as_str(),
        name.to_ascii_lowercase(),
        "header name"
    );

    let mut req = support::request(http::Method::GET, "/").expect("a valid target");
    let mut first: Option<Vec<u8>> = None;
    for _ in 0..u.int_in_range(0..=2)? {
        let v: &[u8] = u.arbitrary()?;
        if let Ok(v) = HeaderValue::from_bytes(v) {
            first.get_or_insert_with(|| v.as_bytes().to_vec());
            req.headers_mut().append(ids.header_name().clone(), v);
        }
    }
    let id = ids.pre(&req);
    let documented = |b: &[u8]| {
        !b.is_empty()
            && b.len() <= max_len
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || b"-_.:+/=@~".contains(&c))
    };
    let what = format!(
        "incoming {:?}",
        first.as_deref().map(String::from_utf8_lossy)
    );
    match first.filter(|f| trust && documented(f.as_slice())) {
        Some(f) => assert_eq!(
            id.header_value().as_bytes(),
            &f[..],
            "{what}: valid id not kept"
        ),
        None => {
            let s = id.as_str();
            assert!(
                s.len() == 32 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                "{what}: generated id {s:?} is not 32 lowercase hex digits"
            );
        }
    }
    let mut res = Response::new(kiln::Body::empty());
    res.headers_mut().insert(
        ids.header_name().clone(),
        HeaderValue::from_static("handler's"),
    );
    ids.post(&id, &mut res);
    assert_eq!(
        res.headers().get_all(ids.header_name()).iter().count(),
        1,
        "{what}: one id echoed"
    );
    assert_eq!(
        res.headers().get(ids.header_name()),
        Some(id.header_value()),
        "{what}: echo differs"
    );
    Ok(())
}
