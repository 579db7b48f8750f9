//! The read side: `statuswatch serve` and `statuswatch run --listen`. One HTTP server (axum
//! on hyper) over the archive: the JSON API under `/api/v1` (`api`), the status board at `/`
//! (`board`), Prometheus metrics at `/metrics` (`metrics`), and the probes (`health`).
//!
//! It only reads: its own read-only connections (`pool`), never the writer, and it shows what
//! the views and the outbox hold, so the board, the API and SQL users see the same facts. No
//! route writes. `security` holds what every request passes through (token, bounds, headers).

pub mod api;
pub mod board;
mod health;
pub mod metrics;
mod pool;
pub mod problem;
mod security;
mod snapshot;

pub use pool::{PoolError, ReadPool};
pub use security::{Token, CONTENT_SECURITY_POLICY, MAX_QUERY_BYTES};
pub use snapshot::Snapshots;

use axum::middleware;
use axum::Router;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A handler's answer must start within this; streams (SSE) and long polls (at most 30 s of
/// waiting) start their answer well before it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(45);
/// A client must send its request headers within this (and, between requests on a kept-alive
/// connection, the next ones): a slow client cannot hold a connection open by trickling.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed as they arrive, so no client can exhaust the
/// process's file descriptors.
const MAX_CONNECTIONS: usize = 512;
/// No route reads a body; anything beyond this is refused.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every handler reads from.
#[derive(Clone)]
pub struct AppState {
    /// Read-only connections to the archive.
    pub pool: Arc<ReadPool>,
    /// `/readyz` fails when the newest fetch is older than this (twice the schedule's interval).
    pub ready_within: chrono::Duration,
    /// What `/metrics` keeps between scrapes: the poller's counters (`run --listen` only)
    /// and the outbox tally.
    pub metrics: Arc<metrics::MetricsState>,
    /// The answers built once per database change (`status`, the board's `/`).
    pub snapshots: Arc<Snapshots>,
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--listen {0} is not a loopback address, so anyone who reaches it could read the archive: give --token-env VAR (a bearer token kept in that environment variable), or --insecure-no-auth if the network is trusted on purpose")]
    NeedsToken(SocketAddr),
    #[error("--token-env {0}: the environment variable is not set or empty: export {0}=<a long random token> first")]
    TokenMissing(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read --listen {0:?}: give an address and port, such as 127.0.0.1:8080 or [::1]:8080")]
    BadAddress(String),
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Reads a `--listen` value: `IP:PORT`, `[IPv6]:PORT` or `localhost:PORT` (port 0 picks a free one).
pub fn parse_listen(text: &str) -> Result<SocketAddr, ServeError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    match text.strip_prefix("localhost:").map(str::parse::<u16>) {
        Some(Ok(port)) => Ok(SocketAddr::from(([127, 0, 0, 1], port))),
        _ => Err(ServeError::BadAddress(text.to_string())),
    }
}

/// The token rule: a loopback listener may run without a token; any other needs one (read
/// from the environment variable `token_env`) or an explicit `insecure_no_auth`.
pub fn token_for(
    addr: SocketAddr,
    token_env: Option<&str>,
    insecure_no_auth: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Token>, ServeError> {
    if let Some(var) = token_env {
        return match env(var).filter(|v| !v.trim().is_empty()) {
            Some(secret) => Ok(Some(Token::new(secret.trim()))),
            None => Err(ServeError::TokenMissing(var.to_string())),
        };
    }
    if is_loopback(addr.ip()) || insecure_no_auth {
        Ok(None)
    } else {
        Err(ServeError::NeedsToken(addr))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Every route, with the layers every request passes through.
pub fn router(state: AppState, token: Option<Token>) -> Router {
    Router::new()
        .merge(health::routes())
        .nest("/api/v1", api::routes())
        .merge(board::routes())
        .merge(metrics::routes())
        .fallback(not_found)
        .with_state(state)
        // The last layer is the outermost: headers go on every answer, a refusal included.
        .layer(middleware::from_fn_with_state(
            token,
            security::require_token,
        ))
        .layer(middleware::from_fn(security::bound_query))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(security::security_headers))
}

async fn not_found(uri: axum::http::Uri) -> problem::Problem {
    problem::Problem::not_found(format!(
        "nothing at {}: the board is at /, the API under /api/v1 (its description at /api/v1/openapi.json)",
        uri.path()
    ))
}

/// Binds the listener (before anything else starts, so a taken port fails at once).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Serves `app` on `listener` until `shutdown` completes: HTTP/1.1 with a header timeout and a
/// cap on open connections. Connections still open then are dropped with the runtime.
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    use hyper::server::conn::http1;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(%error, "Cannot accept a connection.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tracing::warn!(%peer, limit = MAX_CONNECTIONS, "Too many open connections; closing a new one.");
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "Connection ended with an error.");
            }
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_listen, token_for, ServeError};

    #[test]
    fn listen_addresses_are_read_with_their_port() {
        assert_eq!(parse_listen("127.0.0.1:8080").unwrap().port(), 8080);
        assert!(parse_listen("[::1]:0").unwrap().ip().is_loopback());
        assert!(parse_listen("localhost:9000").unwrap().ip().is_loopback());
        assert!(matches!(
            parse_listen("example.com:80"),
            Err(ServeError::BadAddress(_))
        ));
        assert!(matches!(
            parse_listen("127.0.0.1"),
            Err(ServeError::BadAddress(_))
        ));
    }

    #[test]
    fn only_loopback_may_listen_without_a_token() {
        let no_env = |_: &str| None;
        let lo = parse_listen("127.0.0.1:8080").unwrap();
        let mapped = parse_listen("[::ffff:127.0.0.1]:8080").unwrap();
        let any = parse_listen("0.0.0.0:8080").unwrap();
        assert!(token_for(lo, None, false, no_env).unwrap().is_none());
        assert!(token_for(mapped, None, false, no_env).unwrap().is_none());
        assert!(matches!(
            token_for(any, None, false, no_env),
            Err(ServeError::NeedsToken(_))
        ));
        assert!(token_for(any, None, true, no_env).unwrap().is_none());
        assert!(matches!(
            token_for(any, Some("SW_TOKEN"), false, no_env),
            Err(ServeError::TokenMissing(v)) if v == "SW_TOKEN"
        ));
        let env = |v: &str| (v == "SW_TOKEN").then(|| "abc".to_string());
        assert!(token_for(any, Some("SW_TOKEN"), false, env)
            .unwrap()
            .is_some());
    }
}
