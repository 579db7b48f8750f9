//! A webhook receiver on 127.0.0.1 for the delivery tests: it records every request (headers
//! and raw body) and answers with scripted statuses, optionally after a delay.
#![allow(dead_code)]

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response};
use axum::Router;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the receiver saw it, and what it answered.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub answered: u16,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.header("webhook-id")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses for the next requests, in order; then `status`.
    script: VecDeque<u16>,
    status: u16,
    delay: Duration,
}

/// A receiver with its own runtime thread; it stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    runtime: Option<tokio::runtime::Runtime>,
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    let (status, delay) = {
        let mut guard = inner.lock().unwrap();
        let status = guard.script.pop_front().unwrap_or(guard.status);
        guard.received.push(Received {
            path,
            headers,
            body,
            answered: status,
            at: Instant::now(),
        });
        (status, guard.delay)
    };
    tokio::time::sleep(delay).await;
    Response::builder()
        .status(status)
        .body(Body::from(format!("answer {status}")))
        .unwrap()
}

impl Receiver {
    /// A receiver on a free port, answering 200.
    pub fn start() -> Receiver {
        Receiver::start_on("127.0.0.1:0".parse().unwrap())
    }

    /// A receiver on `addr` (a port from [`free_port`], to come up where one was down).
    pub fn start_on(addr: SocketAddr) -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            status: 200,
            ..Inner::default()
        }));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&inner));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            addr,
            inner,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A webhook named `name` that sends to this receiver at `/<name>` (see [`hook`]).
    pub fn hook(&self, name: &str, extra: &str) -> String {
        hook(name, &self.url(&format!("/{name}")), extra)
    }

    /// Answers the next requests with these statuses, in order.
    pub fn script(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().script.extend(statuses);
    }

    /// Answers with `status` once the script is used up.
    pub fn set_status(&self, status: u16) {
        self.inner.lock().unwrap().status = status;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Every request on `path`, oldest first.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.inner
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The requests on `path` it answered with a 2xx.
    pub fn accepted(&self, path: &str) -> Vec<Received> {
        self.received(path)
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `path` has seen `n` requests, at most `limit`.
    pub fn wait_for(&self, path: &str, n: usize, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.received(path).len() >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One `[[webhooks]]` table of a configuration file, `extra` holding its further lines (or
/// the tables that follow it).
pub fn hook(name: &str, url: &str, extra: &str) -> String {
    format!("[[webhooks]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n")
}

/// A loopback address nothing listens on (for a receiver that is down).
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Standard Webhooks verification, from the spec: strip `whsec_`, base64-decode the key,
/// HMAC-SHA256 over `id.timestamp.body`, base64, compare with each `v1,` signature; the
/// timestamp is the sending time, so within five minutes of now.
pub fn verify_signature(secret: &str, r: &Received) -> Result<(), String> {
    use base64::Engine;
    use hmac::Mac;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(
            secret
                .strip_prefix("whsec_")
                .ok_or("secret without whsec_")?,
        )
        .map_err(|e| e.to_string())?;
    let (id, ts) = (r.header("webhook-id"), r.header("webhook-timestamp"));
    let ts_num: i64 = ts.parse().map_err(|_| format!("timestamp {ts:?}"))?;
    let now = chrono::Utc::now().timestamp();
    if (now - ts_num).abs() > 300 {
        return Err(format!("timestamp {ts_num} is not now ({now})"));
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    let expected = b64.encode(mac.finalize().into_bytes());
    let header = r.header("webhook-signature");
    header
        .split(' ')
        .filter_map(|s| s.split_once(','))
        .any(|(v, sig)| v == "v1" && sig == expected)
        .then_some(())
        .ok_or_else(|| format!("no v1 signature matches in {header:?}"))
}
