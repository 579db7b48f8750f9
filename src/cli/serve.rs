//! `statuswatch serve`: the HTTP API, the status board and the metrics over a database that
//! another process (`run`, a cron'd `poll`) writes. Read-only. `run --listen` serves the same
//! from the daemon itself.

use super::{cycle, load_config, GlobalArgs, EXIT_OK};
use crate::schedule::CronSchedule;
use crate::serve::{self, AppState, ReadPool, Token};
use anyhow::Context;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Flags of every command that serves HTTP.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Environment variable holding the token clients must send (`Authorization: Bearer`, or
    /// a browser's password prompt). Required to listen on a non-loopback address.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Listen on a non-loopback address without a token, on purpose (a trusted network, or a
    /// reverse proxy that authenticates).
    #[arg(long)]
    pub insecure_no_auth: bool,
}

/// Arguments of `serve`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch serve                                  # http://127.0.0.1:8080/
  STATUSWATCH_TOKEN=$(openssl rand -hex 32) \\
    statuswatch serve --listen 0.0.0.0:8080 --token-env STATUSWATCH_TOKEN
  curl -s http://127.0.0.1:8080/api/v1/status")]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// The poller's schedule, for /readyz (ready while the newest fetch is younger than twice
    /// its interval). Default: the configuration's schedule, else every 2 minutes.
    #[arg(long, value_name = "EXPR")]
    pub schedule: Option<String>,
    #[command(flatten)]
    pub http: HttpArgs,
}

/// An address to listen on and the token it requires, checked before anything starts.
pub struct Listen {
    pub addr: SocketAddr,
    pub token: Option<Token>,
}

impl Listen {
    pub fn from_args(listen: &str, http: &HttpArgs) -> anyhow::Result<Listen> {
        let addr = serve::parse_listen(listen)?;
        let token = serve::token_for(
            addr,
            http.token_env.as_deref(),
            http.insecure_no_auth,
            |var| std::env::var(var).ok(),
        )?;
        Ok(Listen { addr, token })
    }
}

/// How old the newest fetch may be before `/readyz` fails: twice the schedule's longest gap.
pub fn ready_within(schedule: &CronSchedule) -> chrono::Duration {
    schedule
        .longest_gap_after(chrono::Utc::now())
        .map_or(chrono::Duration::days(1), |gap| gap * 2)
}

/// Binds the address (so a taken port fails before anything else starts) and says where it
/// serves: tests and people read this line on stderr.
pub async fn bind(listen: &Listen, db: &std::path::Path) -> anyhow::Result<TcpListener> {
    let listener = serve::bind(listen.addr).await?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let auth = if listen.token.is_some() {
        " (token required)"
    } else {
        ""
    };
    let line = format!(
        "statuswatch: serving {} at http://{local}/ (API /api/v1, metrics /metrics){auth}",
        db.display()
    );
    tracing::info!(address = %local, "Serving HTTP.");
    super::output::error_line(&line);
    Ok(listener)
}

/// Serves until `shutdown` resolves.
pub async fn serve_until(
    listener: TcpListener,
    token: Option<Token>,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) {
    serve::serve(listener, serve::router(state, token), shutdown).await;
}

/// Resolves on the first SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

pub fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<i32> {
    let config = load_config(global)?;
    let listen = Listen::from_args(&args.listen, &args.http)?;
    let timezone = config.timezone.unwrap_or(chrono_tz::UTC);
    let schedule = match (&args.schedule, &config.schedule) {
        (Some(text), _) => CronSchedule::parse(text, timezone).context("--schedule")?,
        (None, Some(from_file)) => from_file.clone(),
        (None, None) => CronSchedule::parse(super::run::DEFAULT_SCHEDULE, timezone)?,
    };
    let pool = ReadPool::open(&global.db)?;
    let state = AppState {
        pool,
        ready_within: ready_within(&schedule),
        // Another process polls: only what the database holds can be exported.
        metrics: serve::metrics::MetricsState::new(None),
        snapshots: std::sync::Arc::new(serve::Snapshots::open(&global.db)?),
    };
    let runtime = cycle::serving_runtime()?;
    runtime.block_on(async {
        let listener = bind(&listen, &global.db).await?;
        serve_until(listener, listen.token, state, stop_signal()).await;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(EXIT_OK)
}
