//! `statuswatch run`: the daemon. Polls every feed on its cron schedule until SIGINT/SIGTERM.
//!
//! Only one daemon per database: a lock file beside it (`<db>.lock`, an OS file lock that dies
//! with the process, so a killed daemon never leaves a stale lock). The first SIGINT or SIGTERM
//! stops new work and gives in-flight fetches a grace period; a second exits at once.

use super::cycle::{self, CycleArgs};
use super::{open_store, seed_bundled_catalog, GlobalArgs, EXIT_OK};
use crate::daemon::{self, Control, DaemonOptions};
use crate::pipeline::{CycleOptions, FeedResult};
use crate::schedule::{parse_timezone, CronSchedule};
use anyhow::{bail, Context};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The global schedule when neither the config nor `--schedule` gives one: every 2 minutes.
pub const DEFAULT_SCHEDULE: &str = "*/2 * * * *";

/// Arguments of `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The global schedule: a classic 5-field crontab line ("*/2 * * * *") or 6-7 fields with
    /// seconds first ("*/30 * * * * *"). Per-feed schedules (OPML `schedule`, `feeds add
    /// --schedule`) override it.
    #[arg(long, value_name = "EXPR")]
    pub schedule: Option<String>,
    /// IANA timezone the schedules are evaluated in (default UTC).
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Poll every due feed once, then exit (like `poll`, with the daemon's settings).
    #[arg(long)]
    pub once: bool,
    /// Seconds in-flight fetches get to finish after SIGINT/SIGTERM.
    #[arg(long, default_value_t = 10)]
    pub grace_secs: u64,
    /// Upper bound, in milliseconds, of the random delay that spreads feeds sharing a slot.
    #[arg(long, default_value_t = 5000)]
    pub max_jitter_ms: u64,
    /// Days of fetch log to keep (housekeeping prunes older rows hourly).
    #[arg(long, default_value_t = 30)]
    pub keep_fetches_days: i64,
    #[command(flatten)]
    pub cycle: CycleArgs,
}

/// Holds the OS lock on `<db>.lock` for the daemon's lifetime.
struct DaemonLock {
    _file: File,
}

fn lock_database(db: &Path) -> anyhow::Result<DaemonLock> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot create lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            bail!(
                "another `statuswatch run` is already using {} (pid {}): only one daemon per database",
                db.display(),
                holder.trim().if_empty("unknown")
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(DaemonLock { _file: file })
}

trait IfEmpty {
    fn if_empty<'a>(&'a self, other: &'a str) -> &'a str;
}
impl IfEmpty for str {
    fn if_empty<'a>(&'a self, other: &'a str) -> &'a str {
        if self.is_empty() {
            other
        } else {
            self
        }
    }
}

pub fn run(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<i32> {
    let timezone = match &args.timezone {
        Some(name) => parse_timezone(name)?,
        None => chrono_tz::UTC,
    };
    let schedule_text = args.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE);
    let schedule = CronSchedule::parse(schedule_text, timezone)?;
    let housekeeping = CronSchedule::parse("17 * * * *", timezone)?;
    let _lock = lock_database(&global.db)?;
    let mut store = open_store(&global.db)?;
    let seeded = seed_bundled_catalog(&mut store)?;
    if seeded > 0 {
        tracing::info!(
            feeds = seeded,
            "The database had no feeds: imported the bundled catalog."
        );
    }
    let runtime = cycle::runtime()?;
    let (pipeline, writer_thread) = cycle::build_pipeline(store, &args.cycle)?;

    let code = runtime.block_on(async {
        if args.once {
            let feeds = pipeline
                .writer
                .run(|s| s.due_feeds(chrono::Utc::now()))
                .await?;
            let (summary, _) = pipeline.poll(feeds, CycleOptions::default()).await?;
            tracing::info!(?summary, "Polled once.");
            return Ok::<i32, anyhow::Error>(if summary.errors > 0 {
                super::EXIT_SOME_FAILED
            } else {
                EXIT_OK
            });
        }
        let (control_tx, control_rx) = watch::channel(Control::Run);
        spawn_signal_handler(control_tx)?;
        let counts = Arc::new(CycleCounts::default());
        let on_done = {
            let counts = Arc::clone(&counts);
            Arc::new(move |result: &FeedResult| counts.add(result))
        };
        let options = DaemonOptions {
            schedule,
            timezone,
            max_jitter: Duration::from_millis(args.max_jitter_ms),
            housekeeping,
            keep_fetches: chrono::Duration::days(args.keep_fetches_days),
        };
        let mut tasks = daemon::run(pipeline.clone(), options, control_rx, on_done).await?;
        let grace = Duration::from_secs(args.grace_secs);
        let finished =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tracing::warn!(
                abandoned = tasks.len(),
                "Grace period over: abandoning in-flight fetches (their transactions roll back)."
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        tracing::info!(
            fetched = counts.fetched.load(Ordering::Relaxed),
            not_modified = counts.not_modified.load(Ordering::Relaxed),
            failed = counts.failed.load(Ordering::Relaxed),
            events = counts.events.load(Ordering::Relaxed),
            "Daemon stopped."
        );
        Ok(EXIT_OK)
    })?;
    drop(pipeline);
    cycle::join_writer(writer_thread)?;
    Ok(code)
}

/// Running totals since start, for the log.
#[derive(Default)]
struct CycleCounts {
    fetched: AtomicUsize,
    not_modified: AtomicUsize,
    failed: AtomicUsize,
    events: AtomicUsize,
}

impl CycleCounts {
    fn add(&self, result: &FeedResult) {
        match result {
            FeedResult::Stored { events, .. } => {
                self.fetched.fetch_add(1, Ordering::Relaxed);
                self.events.fetch_add(*events, Ordering::Relaxed);
            }
            FeedResult::NotModified => {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
            }
            FeedResult::Failed { .. } => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// First SIGINT/SIGTERM: stop gracefully. Second: exit at once.
fn spawn_signal_handler(control: watch::Sender<Control>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            seen += 1;
            if seen == 1 {
                tracing::info!(
                    signal = name,
                    "Shutting down: finishing in-flight fetches (send it again to exit at once)."
                );
                let _ = control.send(Control::Stop);
            } else {
                tracing::warn!(signal = name, "Second signal: exiting now.");
                std::process::exit(130);
            }
        }
    });
    Ok(())
}
