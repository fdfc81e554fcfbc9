//! `ws`: WebSocket echo messages per second at `conns` connections, each
//! sending one message and waiting for its echo (tokio-tungstenite client).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// Echo messages of `size` bytes for `secs` seconds; returns messages/s.
#[allow(clippy::cast_precision_loss)] // message counts far below 2^52
pub(crate) async fn run(addr: SocketAddr, conns: usize, size: usize, secs: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("upgrade");
        let (count, stop) = (Arc::clone(&count), Arc::clone(&stop));
        let payload = Bytes::from(vec![b'x'; size]);
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                ws.send(Message::Binary(payload.clone()))
                    .await
                    .expect("send");
                let echoed = ws.next().await.expect("echo").expect("echo");
                assert_eq!(echoed.len(), size, "wrong echo");
                count.fetch_add(1, Ordering::Relaxed);
            }
            ws.close(None).await.ok();
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // warm-up
    let before = count.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let rate = (count.load(Ordering::Relaxed) - before) as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.ok();
    }
    rate
}
