//! `statuswatch run`: the daemon. Polls every feed on its cron schedule until SIGINT/SIGTERM.
//!
//! Only one daemon per database: a lock file beside it (`<db>.lock`, an OS file lock that dies
//! with the process, so a killed daemon never leaves a stale lock). The first SIGINT or SIGTERM
//! stops new work and gives in-flight fetches a grace period; a second exits at once.

use super::cycle::{self, CycleArgs};
use super::{load_config, open_store_seeded, GlobalArgs, EXIT_OK};
use crate::config::Config;
use crate::daemon::{self, Control, DaemonOptions, TickReport};
use crate::deliver::{write_event_line, AttemptObserver, Deliverer};
use crate::metrics::PollerMetrics;
use crate::pipeline::{CycleOptions, FeedReport, FeedResult};
use crate::schedule::{parse_timezone, CronSchedule};
use crate::store::writer::Writer;
use anyhow::{bail, Context};
use chrono_tz::Tz;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;
use tokio::sync::Notify;

/// How long the daemon's writer waits for more feeds' writes to share a commit: a slot's
/// feeds are spread over up to 5 s of jitter, so without it each plain 304 was a transaction
/// of its own (2,000 commits a slot at 2,000 feeds; bench/steady.sh).
const GROUP_LINGER: Duration = Duration::from_millis(25);

/// The global schedule when neither the config nor `--schedule` gives one: every 2 minutes.
pub const DEFAULT_SCHEDULE: &str = "*/2 * * * *";

/// Arguments of `run`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch run
  statuswatch run --schedule \"*/30 * * * * *\" --listen 127.0.0.1:8080
  statuswatch run --schedule \"0 9-17 * * 1-5\" --timezone Europe/London")]
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
    /// Also write every new event to stdout as one JSON line (for piping into other tools).
    #[arg(long)]
    pub events_stdout: bool,
    /// Also serve the API, the status board and /metrics on this address while polling
    /// (what `serve` does, from the daemon itself), e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", conflicts_with = "once")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub http: super::serve::HttpArgs,
    #[command(flatten)]
    pub cycle: CycleArgs,
}

/// Holds the OS lock on `<db>.lock` for the daemon's lifetime.
struct DaemonLock {
    _file: File,
}

fn lock_database(db: &Path) -> anyhow::Result<DaemonLock> {
    super::create_data_dir(db)?;
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
            // A pid is a few bytes; whatever else is in the file is not ours to slurp.
            #[allow(clippy::disallowed_methods)] // bounded by take
            let _ = (&file).take(64).read_to_string(&mut holder);
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

/// What the daemon takes from the configuration file and its flags; rebuilt on SIGHUP.
#[derive(Clone)]
struct Settings {
    schedule: CronSchedule,
    timezone: Tz,
    config: Arc<Config>,
}

/// Reads the configuration file and combines it with the flags (flags win). The file's own
/// schedule and timezone were checked when it was loaded; only the flags are checked here.
fn load_settings(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<Settings> {
    let config = load_config(global)?;
    let timezone = match &args.timezone {
        Some(name) => parse_timezone(name).context("--timezone")?,
        None => config.timezone.unwrap_or(chrono_tz::UTC),
    };
    let schedule = match (&args.schedule, &config.schedule) {
        (Some(text), _) => CronSchedule::parse(text, timezone).context("--schedule")?,
        // Read again in the flag's timezone, which the file did not know.
        (None, Some(from_file)) if args.timezone.is_some() => {
            CronSchedule::parse(from_file.source(), timezone).context("schedule")?
        }
        (None, Some(from_file)) => from_file.clone(),
        (None, None) => CronSchedule::parse(DEFAULT_SCHEDULE, timezone)?,
    };
    Ok(Settings {
        schedule,
        timezone,
        config: Arc::new(config),
    })
}

pub fn run(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<i32> {
    let settings = load_settings(global, args)?;
    let listen = args
        .listen
        .as_deref()
        .map(|l| super::serve::Listen::from_args(l, &args.http))
        .transpose()?;
    // Before the lock and the network, so a broken rules file stops the daemon at once.
    let rules = super::load_shared_rules(args.cycle.rules.as_deref())?;
    let housekeeping = CronSchedule::parse("17 * * * *", settings.timezone)?;
    let _lock = lock_database(&global.db)?;
    let (store, seeded) = open_store_seeded(&global.db)?;
    if seeded > 0 {
        tracing::info!(
            feeds = seeded,
            "A new database: imported the bundled catalog."
        );
    } else if store.feed_count()? == 0 {
        // Feeds added later are picked up on the next tick.
        tracing::warn!("{}", super::NO_FEEDS);
    }
    let runtime = match listen.is_some() {
        true => cycle::serving_runtime()?,
        false => cycle::runtime()?,
    };
    let (pipeline, writer_thread) =
        cycle::build_pipeline(store, &args.cycle, rules, &settings.config, GROUP_LINGER)?;

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
        let (schedule_tx, schedule_rx) =
            watch::channel((settings.schedule.clone(), settings.timezone));
        let (config_tx, config_rx) = watch::channel(Arc::clone(&settings.config));
        let reload = {
            let global = global.clone();
            let args = args.clone();
            move || -> anyhow::Result<()> {
                let new = load_settings(&global, &args)?;
                schedule_tx.send_replace((new.schedule.clone(), new.timezone));
                config_tx.send_replace(new.config);
                tracing::info!(schedule = %new.schedule.understood(), "Configuration reloaded.");
                Ok(())
            }
        };
        spawn_signal_handler(control_tx, reload)?;
        // The poller's counters exist only to be served.
        let metrics = listen.is_some().then(|| Arc::new(PollerMetrics::new()));
        let server = match listen {
            Some(listen) => Some(
                start_server(
                    listen,
                    global,
                    &settings,
                    control_rx.clone(),
                    metrics.clone(),
                )
                .await?,
            ),
            None => None,
        };

        // Webhooks are registered before the first tick, so they get its events.
        let current: Arc<Mutex<Option<Deliverer>>> = Arc::new(Mutex::new(None));
        let delivery = tokio::spawn(supervise_delivery(
            pipeline.writer.clone(),
            config_rx,
            control_rx.clone(),
            Arc::clone(&current),
            metrics
                .clone()
                .map(|m| -> AttemptObserver { Arc::new(move |a| m.attempt(a)) }),
        ));
        let wake_stdout = Arc::new(Notify::new());
        let stdout_task = args.events_stdout.then(|| {
            tokio::spawn(events_to_stdout(
                pipeline.writer.clone(),
                control_rx.clone(),
                Arc::clone(&wake_stdout),
            ))
        });

        let counts = Arc::new(CycleCounts::default());
        let on_done = Arc::new(Finished {
            counts: Arc::clone(&counts),
            current: Arc::clone(&current),
            wake_stdout: Arc::clone(&wake_stdout),
            metrics,
        });
        let options = DaemonOptions {
            schedule: settings.schedule.clone(),
            timezone: settings.timezone,
            max_jitter: Duration::from_millis(args.max_jitter_ms),
            housekeeping,
            keep_fetches: chrono::Duration::days(args.keep_fetches_days),
        };
        let mut tasks =
            daemon::run(pipeline.clone(), options, control_rx, schedule_rx, on_done).await?;
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
        wake_stdout.notify_one();
        if let Some(task) = stdout_task {
            let _ = task.await;
        }
        // Attempts in flight finish within their request timeout and are recorded.
        let _ = tokio::time::timeout(grace, delivery).await;
        if let Some(server) = server {
            let _ = server.await;
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

/// `--listen`: binds now (a taken port stops the daemon before it polls) and serves until the
/// daemon stops.
async fn start_server(
    listen: super::serve::Listen,
    global: &GlobalArgs,
    settings: &Settings,
    mut control: watch::Receiver<Control>,
    metrics: Option<Arc<PollerMetrics>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = super::serve::bind(&listen, &global.db).await?;
    let state = crate::serve::AppState {
        pool: crate::serve::ReadPool::open(&global.db)?,
        ready_within: super::serve::ready_within(&settings.schedule),
        metrics: crate::serve::metrics::MetricsState::new(metrics),
        snapshots: Arc::new(crate::serve::Snapshots::open(&global.db)?),
    };
    let stopped = async move {
        while *control.borrow_and_update() != Control::Stop {
            if control.changed().await.is_err() {
                return;
            }
        }
    };
    Ok(tokio::spawn(super::serve::serve_until(
        listener,
        listen.token,
        state,
        stopped,
    )))
}

/// Runs the webhook deliverer for the current configuration, restarting it when a reloaded
/// configuration changes the webhooks, until the daemon stops.
async fn supervise_delivery(
    writer: Writer,
    mut configs: watch::Receiver<Arc<Config>>,
    mut control: watch::Receiver<Control>,
    current: Arc<Mutex<Option<Deliverer>>>,
    observer: Option<AttemptObserver>,
) {
    loop {
        let config = configs.borrow_and_update().clone();
        let deliverer = if config.webhooks.is_empty() {
            None
        } else {
            match Deliverer::start(
                config.webhooks.clone(),
                config.delivery.clone(),
                writer.clone(),
            )
            .await
            {
                Ok(d) => Some(d),
                Err(error) => {
                    tracing::error!(%error, "Webhook delivery cannot start; events wait in the outbox.");
                    None
                }
            }
        };
        if let (Some(d), Some(observer)) = (&deliverer, &observer) {
            d.observe_attempts(Arc::clone(observer));
        }
        if let Ok(mut slot) = current.lock() {
            slot.clone_from(&deliverer);
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = deliverer.map(|d| {
            tokio::spawn(async move {
                d.run_until(async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        let finished = tokio::select! {
            changed = configs.changed() => changed.is_err(),
            changed = control.changed() => changed.is_err() || *control.borrow() == Control::Stop,
        };
        let _ = stop.send(());
        if let Some(task) = running {
            match task.await {
                Ok(Err(error)) => {
                    tracing::error!(%error, "Webhook delivery stopped with an error.")
                }
                Err(error) => tracing::error!(%error, "Webhook delivery task failed."),
                Ok(Ok(())) => {}
            }
        }
        if finished {
            return;
        }
    }
}

/// `--events-stdout`: every event committed from now on, one JSON line each, in order.
async fn events_to_stdout(
    writer: Writer,
    mut control: watch::Receiver<Control>,
    wake: Arc<Notify>,
) {
    let mut after = match writer.run(|s| s.last_event_seq()).await {
        Ok(seq) => seq,
        Err(error) => {
            tracing::error!(%error, "Cannot read the outbox for --events-stdout.");
            return;
        }
    };
    loop {
        let stopping = *control.borrow() == Control::Stop;
        let from = after;
        match writer
            .run(move |s| s.events_after(from, None, None, 1000))
            .await
        {
            Ok(events) => {
                let mut out = std::io::stdout().lock();
                for event in &events {
                    after = event.seq;
                    if write_event_line(&mut out, event).is_err() {
                        return; // stdout closed: nobody is listening any more
                    }
                }
                let _ = std::io::Write::flush(&mut out);
            }
            Err(error) => tracing::error!(%error, "Cannot read the outbox for --events-stdout."),
        }
        if stopping {
            return;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = control.changed() => {}
            // Events written by other processes (feeds check, poll) show up too.
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// What the daemon's finished work drives: the totals for the log, waking the deliverer and
/// `--events-stdout` when events were stored, and `--listen`'s metrics.
struct Finished {
    counts: Arc<CycleCounts>,
    current: Arc<Mutex<Option<Deliverer>>>,
    wake_stdout: Arc<Notify>,
    metrics: Option<Arc<PollerMetrics>>,
}

impl daemon::Observer for Finished {
    fn feed_done(&self, report: &FeedReport) {
        self.counts.add(&report.result);
        if let Some(metrics) = &self.metrics {
            metrics.feed_done(report);
        }
        if let FeedResult::Stored { events, .. } = &report.result {
            if *events > 0 {
                if let Some(d) = self.current.lock().ok().and_then(|c| c.clone()) {
                    d.notify();
                }
                self.wake_stdout.notify_one();
            }
        }
    }

    fn tick_done(&self, tick: &TickReport) {
        if let Some(metrics) = &self.metrics {
            metrics.tick_done(tick);
        }
    }
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
            FeedResult::Removed => {}
        }
    }
}

/// First SIGINT/SIGTERM: stop gracefully, second: exit at once ([`cycle::stop_on_signals`]).
/// SIGHUP: re-read the configuration; a bad one is refused and the old one kept.
fn spawn_signal_handler(
    control: watch::Sender<Control>,
    reload: impl Fn() -> anyhow::Result<()> + Send + 'static,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    cycle::stop_on_signals(control)?;
    let mut hup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            if let Err(error) = reload() {
                tracing::error!(
                    error = format!("{error:#}"),
                    "New configuration rejected; keeping the old one."
                );
            }
        }
    });
    Ok(())
}
