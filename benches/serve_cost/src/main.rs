//! Serves `GET /` until N requests were answered, then shuts down: run under
//! callgrind with two values of N to get instructions per request.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln::{App, Conn, IntoResponse, Request, Response};

struct Hello {
    left: AtomicUsize,
    done: Arc<tokio::sync::Notify>,
}

impl App for Hello {
    async fn handle(&self, _req: Request, _conn: &mut Conn) -> Response {
        if self.left.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.done.notify_one();
        }
        "hello".into_response()
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let port: u16 = std::env::args().nth(2).unwrap().parse().unwrap();
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let done = Arc::new(tokio::sync::Notify::new());
        let app = Hello { left: AtomicUsize::new(n), done: Arc::clone(&done) };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        kiln::serve(app)
            .config(kiln::ServeConfig::default().drain_timeout(std::time::Duration::from_secs(1)))
            .with_shutdown(async move { done.notified().await })
            .listen(listener)
            .await
            .unwrap();
    });
}
