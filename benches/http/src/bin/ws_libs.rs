//! Which WebSocket implementation kiln builds on: an echo micro-benchmark of
//! tokio-tungstenite and fastwebsockets behind the same bare hyper server.
//!
//! The server runs on a one-thread tokio runtime, the clients (tokio-tungstenite,
//! the same for both) on another; `CONNS` connections each send a message and
//! wait for its echo, for `SECS` seconds per case. Prints messages per second.
//!
//! ```sh
//! cargo run -p kiln-http-suite --release --bin ws_libs [-- SECS]
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

const CONNS: usize = 50;

#[derive(Clone, Copy, Debug)]
enum Lib {
    Tungstenite,
    Fast,
}

async fn tungstenite_echo(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, Infallible> {
    let key = req.headers()["sec-websocket-key"].as_bytes().to_vec();
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(&key);
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let io = TokioIo::new(upgrade.await.unwrap());
        let mut ws =
            tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Server, None).await;
        while let Some(Ok(msg)) = ws.next().await {
            if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    Ok(Response::builder()
        .status(101)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", accept)
        .body(Empty::new())
        .unwrap())
}

async fn fast_echo(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    let (res, fut) = fastwebsockets::upgrade::upgrade(&mut req).unwrap();
    tokio::spawn(async move {
        let mut ws = fastwebsockets::FragmentCollector::new(fut.await.unwrap());
        while let Ok(frame) = ws.read_frame().await {
            let data = matches!(
                frame.opcode,
                fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary
            );
            if frame.opcode == fastwebsockets::OpCode::Close
                || (data && ws.write_frame(frame).await.is_err())
            {
                break;
            }
        }
    });
    Ok(res)
}

fn server(lib: Lib) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let io = TokioIo::new(stream);
                    let conn = hyper::server::conn::http1::Builder::new();
                    let _ = match lib {
                        Lib::Tungstenite => {
                            conn.serve_connection(io, hyper::service::service_fn(tungstenite_echo))
                                .with_upgrades()
                                .await
                        }
                        Lib::Fast => {
                            conn.serve_connection(io, hyper::service::service_fn(fast_echo))
                                .with_upgrades()
                                .await
                        }
                    };
                });
            }
        });
    });
    rx.recv().unwrap()
}

#[allow(clippy::cast_precision_loss)] // message counts far below 2^52
fn run(addr: SocketAddr, size: usize, secs: u64) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let count = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..CONNS {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/"))
                .await
                .unwrap();
            let (count, stop) = (Arc::clone(&count), Arc::clone(&stop));
            let payload = Bytes::from(vec![b'x'; size]);
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    ws.send(Message::Binary(payload.clone())).await.unwrap();
                    let echoed = ws.next().await.unwrap().unwrap();
                    assert_eq!(echoed.len(), size);
                    count.fetch_add(1, Ordering::Relaxed);
                }
                ws.close(None).await.ok();
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await; // warm-up
        let start_count = count.load(Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let n = count.load(Ordering::Relaxed) - start_count;
        let rate = n as f64 / start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.ok();
        }
        rate
    })
}

fn main() {
    let secs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    println!(
        "echo, {CONNS} connections in lockstep, {secs} s per case, server on 1 thread, client on 1 thread"
    );
    println!("| implementation | 20 B msg/s | 16 KiB msg/s |");
    println!("| --- | ---: | ---: |");
    for lib in [Lib::Tungstenite, Lib::Fast] {
        let addr = server(lib);
        let small = run(addr, 20, secs);
        let large = run(addr, 16 * 1024, secs);
        println!("| {lib:?} | {small:.0} | {large:.0} |");
    }
}
