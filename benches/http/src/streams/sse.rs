//! `sse`: events per second delivered to many clients of one broadcast
//! stream (the server's producer emits one event per millisecond).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

/// Opens `clients` streams, waits for each one's first event, then counts
/// the events all of them receive for `secs` seconds; returns events/s.
#[allow(clippy::cast_precision_loss)] // event counts far below 2^52
pub(crate) async fn run(addr: SocketAddr, clients: usize, secs: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (count, stop, ready) = (Arc::clone(&count), Arc::clone(&stop), ready_tx.clone());
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tasks.push(tokio::spawn(async move {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let req = http::Request::get("/events")
                .header("host", "bench")
                .header("accept", "text/event-stream")
                .body(Empty::<bytes::Bytes>::new())
                .expect("request");
            let mut body = sender
                .send_request(req)
                .await
                .expect("response")
                .into_body();
            let mut first = true;
            while !stop.load(Ordering::Relaxed) {
                let Some(Ok(frame)) = body.frame().await else {
                    break;
                };
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                // One event ends with a blank line.
                let events = data.windows(2).filter(|w| w == b"\n\n").count() as u64;
                if first {
                    first = false;
                    ready.send(()).await.ok();
                } else {
                    count.fetch_add(events, Ordering::Relaxed);
                }
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..clients {
        ready_rx
            .recv()
            .await
            .expect("a client never got its first event");
    }
    let before = count.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let delivered = count.load(Ordering::Relaxed) - before;
    let rate = delivered as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    rate
}
