//! What every fetching command shares: the fetch limits as flags, and running one cycle
//! over a list of feeds on a runtime with the single database writer.

use crate::classify::SharedRules;
use crate::config::Config;
use crate::daemon::Control;
use crate::fetch::{FetchConfig, Fetcher, NetworkPolicy};
use crate::pipeline::{CycleOptions, FeedReport, FeedResult, Pipeline, PollSummary};
use crate::store::writer::Writer;
use crate::store::{FeedRow, Store};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Limits of fetching, as flags (`poll`, `feeds check`). Durations take a unit: `500ms`,
/// `10s`, `5m`, `1h`, `3d` (a bare number is seconds); sizes `512KB`, `10MB` (a bare number
/// is bytes).
#[derive(Debug, Clone, clap::Args)]
pub struct CycleArgs {
    /// Feeds fetched at once, all hosts together.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Feeds fetched at once from one host.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub per_host: usize,
    /// Time allowed to connect to a server.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for one whole fetch: redirects, headers and body.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Largest feed body accepted, after decompression.
    #[arg(long, default_value = "10MB", value_parser = parse_size, value_name = "SIZE")]
    pub max_body_size: u64,
    /// Entries taken from one document at most, the newest: a document with more is stored
    /// cut short, with a warning (the entries left out are not read as withdrawn).
    #[arg(long, default_value_t = crate::parse::cap::DEFAULT_MAX_ENTRIES, value_parser = parse_max_entries, value_name = "N")]
    pub max_entries: usize,
    /// Redirect hops followed before a fetch fails.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_redirects: usize,
    /// Consecutive fetches that must see one permanent redirect (301, 308) before the
    /// stored feed URL follows it.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub moved_after: u32,
    /// A feed failing for this long raises a `feed_failing` event.
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub failing_after: Duration,
    /// A TOML rules file adding to or overriding the built-in classification rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

impl CycleArgs {
    /// The fetch config these flags describe, connecting where `network` allows (the rest at
    /// its defaults).
    pub fn fetch_config(&self, network: &NetworkPolicy) -> FetchConfig {
        FetchConfig {
            network: network.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_size,
            max_redirects: self.max_redirects,
            concurrency: self.concurrency.max(1),
            per_host: self.per_host.max(1),
            moved_after: self.moved_after.max(1),
            ..FetchConfig::default()
        }
    }
}

/// The pipeline these flags describe, classifying with `rules` (loaded once by the command,
/// [`super::load_rules`]), with the store moved onto its writer thread; joining the thread (after
/// every `Pipeline` clone is dropped) gives the store back.
///
/// `group_linger` is how long the writer waits for more feeds' writes to share a commit
/// ([`Writer::spawn_lingering`]): zero for `poll`, whose feeds queue for the writer anyway.
pub fn build_pipeline(
    store: Store,
    args: &CycleArgs,
    rules: SharedRules,
    config: &Config,
    group_linger: std::time::Duration,
) -> anyhow::Result<(Pipeline, std::thread::JoinHandle<Store>)> {
    let correlation = &config.correlation;
    let (writer, writer_thread) = Writer::spawn_lingering(store, group_linger)?;
    let mut pipeline = Pipeline::new(
        Fetcher::new(args.fetch_config(&config.network))?,
        rules,
        writer,
        args.failing_after,
    );
    pipeline.correlation = Arc::new(correlation.clone());
    pipeline.max_entries = args.max_entries;
    Ok((pipeline, writer_thread))
}

/// Waits for the writer thread to finish its queue and hands the store back.
pub fn join_writer(thread: std::thread::JoinHandle<Store>) -> anyhow::Result<Store> {
    thread
        .join()
        .map_err(|_| anyhow::anyhow!("the database writer thread panicked"))
}

/// The runtime of the commands that poll (`poll`, `run` without `--listen`, `discover`,
/// `replay`): one thread for the async edge (HTTP, timers, signals). Their CPU work is off it
/// already (parsing on the blocking pool, SQL on the writer thread), and on one thread a
/// fetch's request, response and feed future never wake another core: a 2,000-feed all-304
/// cycle took about a third less CPU than on the multi-threaded runtime, and a cold one no
/// more wall time (bench/README.md).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A multi-threaded runtime, for the commands that serve HTTP (`serve`, `run --listen`): the
/// board renders and the API answers on the async workers, and one slow client must not
/// hold up the rest or the poller.
pub fn serving_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Listens for SIGINT and SIGTERM on the current runtime, for the commands that poll (`run`,
/// `poll`): the first sends [`Control::Stop`] (no new fetches; those in flight get the grace
/// period and are stored), a second exits at once.
pub fn stop_on_signals(control: watch::Sender<Control>) -> anyhow::Result<()> {
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

/// Resolves when `control` says [`Control::Stop`] (never, if its sender is gone).
pub async fn stopped(mut control: watch::Receiver<Control>) {
    if control.wait_for(|c| *c == Control::Stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs one cycle over `feeds` and gives the store back (for end-of-cycle upkeep).
pub fn run_cycle(
    store: Store,
    feeds: Vec<FeedRow>,
    args: &CycleArgs,
    options: CycleOptions,
    config: &Config,
) -> anyhow::Result<(Store, PollSummary, Vec<FeedReport>)> {
    let rules = super::load_shared_rules(args.rules.as_deref())?;
    let runtime = runtime()?;
    let (pipeline, writer_thread) =
        build_pipeline(store, args, rules, config, std::time::Duration::ZERO)?;
    let bar = progress_for(&feeds);
    let result = runtime.block_on(pipeline.poll_observed(feeds, options, || bar.inc(1)));
    bar.finish_and_clear();
    drop(pipeline);
    let store = join_writer(writer_thread)?;
    let (summary, reports) = result?;
    Ok((store, summary, reports))
}

/// A progress bar over a cycle of `feeds` (drawn only at a terminal, without -q, for more
/// than one feed: one feed's fetch is its own progress).
pub fn progress_for(feeds: &[FeedRow]) -> indicatif::ProgressBar {
    if feeds.len() < 2 {
        return indicatif::ProgressBar::hidden();
    }
    super::output::progress(feeds.len(), "feeds")
}

/// Reports what the parser said about stored documents on stderr, one line per note, naming
/// the feed (the fetch log keeps them too, in `fetches.notes`).
pub fn report_notes(reports: &[FeedReport]) {
    for report in reports {
        if let FeedResult::Stored { notes, .. } = &report.result {
            for note in notes {
                super::output::error_line(&format!(
                    "Feed {} \"{}\" ({}): {note}.",
                    report.feed_id, report.title, report.url
                ));
            }
        }
    }
}

/// Reports failures on stderr, one line per feed.
pub fn report_failures(reports: &[FeedReport]) {
    for report in reports {
        if let FeedResult::Failed { error, .. } = &report.result {
            let next = report
                .next_fetch_at
                .as_deref()
                .map(|t| format!("; next attempt at {t}"))
                .unwrap_or_default();
            super::output::error_line(&format!(
                "Feed {} \"{}\" ({}) failed: {error}{next}",
                report.feed_id, report.title, report.url
            ));
        }
    }
}

use crate::duration::parse_duration;

/// `--max-entries`: a whole number of at least 1.
fn parse_max_entries(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1 (entries taken from one document), not {text:?}"
        )),
    }
}

/// `"10MB"`, `"512KB"`, `"1GB"` (powers of 1024; `KiB` and friends accepted too); a bare
/// number is bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write it like 512KB or 10MB"))?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1024,
        "M" | "MB" | "MIB" => 1024 * 1024,
        "G" | "GB" | "GIB" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use B, KB, MB or GB"
            ))
        }
    };
    value
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// `"312 bytes"`, `"41 KB"`, `"2.3 MB"`.
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < KB * KB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        format!("{:.1} MB", bytes as f64 / (KB * KB) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("10MB").unwrap(), 10 * 1024 * 1024);
        assert_eq!(parse_size("512kb").unwrap(), 512 * 1024);
        assert_eq!(parse_size("2048").unwrap(), 2048);
        assert!(parse_size("lots").is_err());
        assert_eq!(human_size(312), "312 bytes");
        assert_eq!(human_size(41 * 1024 + 100), "41 KB");
        assert_eq!(human_size(2_400_000), "2.3 MB");
    }
}
