//! WebSockets over real sockets: echo, fragmentation, size limits (1009),
//! invalid text (1007), protocol errors and close codes (RFC 6455), ping/pong,
//! backpressure, subprotocols, handshake rejections, middleware on the
//! upgrade request (a JWT-protected route, the built-in stack) and server
//! shutdown closing sockets with 1001.

use super::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use kiln::ServeConfig;
use kiln::builtin::{
    AccessLog, Algorithm, Cors, JwtAuth, JwtClaims, JwtKey, RequestIds, SecurityHeaders,
    ServerTiming,
};
use kiln::prelude::*;
use kiln::ws::{CloseCode, Message, WebSocketUpgrade};
use support::{get, once, start};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{
    CloseCode as WireCode, Data, OpCode,
};
use tokio_tungstenite::tungstenite::{self, Message as Wire};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const SECRET: &[u8] = b"kiln test secret, 32+ bytes long!";

/// Echoes data messages; records in `Seen` the close code it received, or
/// the one it answered an error with.
#[handler]
fn echo(upgrade: WebSocketUpgrade, seen: &Seen) -> Response {
    let seen = Arc::clone(&seen.0);
    upgrade
        .max_message_size(1024)
        .max_frame_size(800)
        .protocols(["superchat", "chat"])
        .on_upgrade(move |mut socket| async move {
            while let Some(message) = socket.recv().await {
                match message {
                    Ok(Message::Close(frame)) => {
                        let code = frame.map_or(0, |f| f.code.0);
                        seen.store(usize::from(code), Ordering::SeqCst);
                    }
                    Ok(m) if m.is_data() => {
                        if socket.send(m).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let code = e.close_code().map_or(1, |c| c.0);
                        seen.store(usize::from(code), Ordering::SeqCst);
                    }
                }
            }
        })
}

/// Closes the connection itself with an application code.
#[handler]
fn bye(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|socket| async move {
        socket.close(CloseCode(4000), "custom").await.ok();
    })
}

/// Sends 256 KiB messages as fast as the client takes them, counting them.
#[handler]
fn flood(upgrade: WebSocketUpgrade, sent: &Sent) -> Response {
    let sent = Arc::clone(&sent.0);
    upgrade.on_upgrade(move |mut socket| async move {
        let chunk = Bytes::from(vec![7u8; 256 * 1024]);
        while socket.send(Message::Binary(chunk.clone())).await.is_ok() {
            sent.fetch_add(1, Ordering::SeqCst);
        }
    })
}

/// Pushes a tick every 20 ms without ever reading.
#[handler]
fn ticker(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        while socket.send("tick").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[handler]
fn private(upgrade: WebSocketUpgrade, claims: &JwtClaims) -> Response {
    let sub = claims.sub.clone().unwrap_or_default();
    upgrade.on_upgrade(move |mut socket| async move {
        socket.send(format!("hello {sub}")).await.ok();
        while socket.recv().await.is_some() {}
    })
}

#[derive(Default)]
struct Seen(Arc<AtomicUsize>);
#[derive(Default)]
struct Sent(Arc<AtomicUsize>);

chain! {
    struct Live;
    singletons {
        seen: Seen, sent: Sent, jwt: JwtAuth, cors: Cors, ids: RequestIds,
        timing: ServerTiming, log: AccessLog, security: SecurityHeaders,
    }
    middleware {
        kiln::builtin::Cors, kiln::builtin::RequestIds, kiln::builtin::ServerTiming,
        kiln::builtin::AccessLog, kiln::builtin::SecurityHeaders,
    }
    routes {
        GET "/echo" => echo,
        GET "/bye" => bye,
        GET "/flood" => flood,
        GET "/ticker" => ticker,
        GET "/private" => private with [kiln::builtin::JwtAuth],
    }
}

fn app(seen: &Seen, sent: &Sent) -> Live {
    Live::new(LiveSingletons {
        seen: Seen(Arc::clone(&seen.0)),
        sent: Sent(Arc::clone(&sent.0)),
        jwt: JwtAuth::builder()
            .key(JwtKey::secret(Algorithm::HS256, SECRET))
            .build()
            .unwrap(),
        cors: Cors::builder()
            .allow_origin("https://app.example")
            .build()
            .unwrap(),
        ids: RequestIds::new(),
        timing: ServerTiming::new(),
        log: AccessLog::new(),
        security: SecurityHeaders::default(),
    })
}

/// Long on purpose: a server that stops quickly closed its sockets itself.
fn config() -> ServeConfig {
    ServeConfig::default().drain_timeout(Duration::from_secs(30))
}

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(addr: std::net::SocketAddr, path: &str) -> Client {
    tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
        .await
        .unwrap()
        .0
}

/// The next message from the server (at most 5 s); `None` at the end.
async fn next(ws: &mut Client) -> Option<Result<Wire, tungstenite::Error>> {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("nothing from the server within 5 s")
}

/// Reads until the server's close frame and returns its code.
async fn close_code(ws: &mut Client) -> u16 {
    loop {
        match next(ws).await {
            Some(Ok(Wire::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(Wire::Close(None))) => return 1005,
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

fn frame(data: &[u8], opcode: OpCode, fin: bool) -> Wire {
    Wire::Frame(Frame::message(Bytes::copy_from_slice(data), opcode, fin))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_text_binary_and_ping_pong() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(Wire::text("hello")).await.unwrap();
    assert_eq!(next(&mut ws).await.unwrap().unwrap(), Wire::text("hello"));
    ws.send(Wire::binary(vec![0u8, 1, 2, 255])).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::binary(vec![0u8, 1, 2, 255])
    );
    ws.send(Wire::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::Pong(Bytes::from_static(b"are you there"))
    );
    // The client closes normally: the server echoes the code and ends.
    ws.close(Some(tungstenite::protocol::CloseFrame {
        code: WireCode::Normal,
        reason: "bye".into(),
    }))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, 1000);
    assert!(next(&mut ws).await.is_none());
    server.stop().await;
    assert_eq!(
        seen.0.load(Ordering::SeqCst),
        1000,
        "the handler saw the close"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragmented_messages_are_reassembled() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(frame(b"frag", OpCode::Data(Data::Text), false))
        .await
        .unwrap();
    // A ping may come between fragments (RFC 6455 section 5.4).
    ws.send(Wire::Ping(Bytes::from_static(b"p"))).await.unwrap();
    ws.send(frame(b"men", OpCode::Data(Data::Continue), false))
        .await
        .unwrap();
    ws.send(frame(b"ted", OpCode::Data(Data::Continue), true))
        .await
        .unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::Pong(Bytes::from_static(b"p"))
    );
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::text("fragmented")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_and_frames_close_with_1009() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    // One frame over the frame limit (800).
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(Wire::binary(vec![1u8; 801])).await.unwrap();
    assert_eq!(close_code(&mut ws).await, 1009);
    // Fragments each within the frame limit, over the message limit (1024).
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(frame(&[2u8; 600], OpCode::Data(Data::Binary), false))
        .await
        .unwrap();
    ws.send(frame(&[2u8; 600], OpCode::Data(Data::Continue), true))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, 1009);
    // Exactly at the limits is fine.
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(frame(&[3u8; 800], OpCode::Data(Data::Binary), false))
        .await
        .unwrap();
    ws.send(frame(&[3u8; 224], OpCode::Data(Data::Continue), true))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await.unwrap().unwrap().len(), 1024);
    server.stop().await;
    assert_eq!(seen.0.load(Ordering::SeqCst), 1009);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_text_closes_with_1007_and_protocol_errors_with_1002() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(frame(b"\xff\xfe", OpCode::Data(Data::Text), true))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, 1007);
    // A continuation frame with no message to continue.
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(frame(b"x", OpCode::Data(Data::Continue), true))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, 1002);
    // A close code that must never be sent (1005, section 7.4.1): answered with 1002.
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(Wire::Frame(Frame::close(Some(
        tungstenite::protocol::CloseFrame {
            code: WireCode::from(1005),
            reason: "".into(),
        },
    ))))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, 1002);
    // And the server keeps serving.
    let mut ws = connect(server.addr, "/echo").await;
    ws.send(Wire::text("still here")).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::text("still here")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_closes_with_its_own_code() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut ws = connect(server.addr, "/bye").await;
    match next(&mut ws).await {
        Some(Ok(Wire::Close(Some(f)))) => {
            assert_eq!(u16::from(f.code), 4000);
            assert_eq!(f.reason.as_str(), "custom");
        }
        other => panic!("{other:?}"),
    }
    // The client's answer completes the handshake; the stream ends.
    assert!(next(&mut ws).await.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_holds_up_the_sender() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut ws = connect(server.addr, "/flood").await;
    // Without reads the count stops growing once the socket buffers are full.
    let mut last = usize::MAX;
    let mut stalled = false;
    for _ in 0..25 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = sent.0.load(Ordering::SeqCst);
        if now == last {
            stalled = true;
            break;
        }
        last = now;
    }
    assert!(stalled, "the sender never waited");
    // 256 KiB each: what sits in the kernel's socket buffers, not a queue.
    assert!(
        last < 64,
        "{last} messages sent to a client that reads nothing"
    );
    // Reading lets it go on.
    for _ in 0..(last + 4) {
        assert_eq!(next(&mut ws).await.unwrap().unwrap().len(), 256 * 1024);
    }
    assert!(sent.0.load(Ordering::SeqCst) > last);
    drop(ws);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_closes_sockets_with_1001() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut reading = connect(server.addr, "/echo").await;
    reading.send(Wire::text("x")).await.unwrap();
    assert_eq!(next(&mut reading).await.unwrap().unwrap(), Wire::text("x"));
    let mut pushed = connect(server.addr, "/ticker").await;
    assert_eq!(
        next(&mut pushed).await.unwrap().unwrap(),
        Wire::text("tick")
    );

    let stopped = server.shutdown();
    assert_eq!(close_code(&mut reading).await, 1001);
    assert_eq!(close_code(&mut pushed).await, 1001);
    // The client answers the close (tungstenite does when it reads on);
    // the server's drain then ends well before its 30 s timeout.
    while next(&mut reading).await.is_some() {}
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the drain waited for the sockets")
        .unwrap()
        .unwrap();
}

fn jwt(sub: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &serde_json::json!({ "sub": sub, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_run_on_the_upgrade_request() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let url = format!("ws://{}/private", server.addr);
    // No token: 401 before any upgrade.
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            assert!(res.headers().contains_key("www-authenticate"));
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    // A bad token: 403.
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", "Bearer not.a.jwt".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), StatusCode::FORBIDDEN),
        other => panic!("expected a 403, got {other:?}"),
    }
    // A valid one: upgraded, and the claims reach the socket's handler.
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", jwt("ada")).parse().unwrap(),
    );
    req.headers_mut()
        .insert("origin", "https://app.example".parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    // The built-in stack decorated the 101 response.
    let h = res.headers();
    assert!(h.contains_key("x-request-id"));
    assert!(
        h["server-timing"]
            .to_str()
            .unwrap()
            .starts_with("total;dur=")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Wire::text("hello ada")
    );
    ws.close(None).await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subprotocols_are_negotiated() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let mut req = format!("ws://{}/echo", server.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "chat, superchat".parse().unwrap());
    let (_ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    // The server's preference wins among the offered ones.
    assert_eq!(res.headers()["sec-websocket-protocol"], "superchat");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_that_are_not_websocket_ones_are_rejected() {
    let (seen, sent) = (Seen::default(), Sent::default());
    let server = start(app(&seen, &sent), config()).await;
    let plain = once(server.addr, get("/echo")).await;
    assert_eq!(plain.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(plain.headers["upgrade"], "websocket");
    assert_eq!(plain.headers["connection"], "upgrade");
    assert_eq!(support::got_problem(&plain)["code"], "upgrade_required");

    let handshake = |version: &str, key: &str| {
        http::Request::get("/echo")
            .header("host", "test")
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", version)
            .header("sec-websocket-key", key)
            .body(http_body_util::Full::<Bytes>::default())
            .unwrap()
    };
    let old = once(server.addr, handshake("8", "dGhlIHNhbXBsZSBub25jZQ==")).await;
    assert_eq!(old.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(old.headers["sec-websocket-version"], "13");
    assert_eq!(support::got_problem(&old)["code"], "upgrade_required");
    let bad_key = once(server.addr, handshake("13", "short")).await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
    let p = support::got_problem(&bad_key);
    assert_eq!(p["code"], "invalid_header");
    assert!(
        p["detail"].as_str().unwrap().contains("sec-websocket-key"),
        "{p}"
    );
    server.stop().await;
}
