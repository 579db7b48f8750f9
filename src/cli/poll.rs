//! `statuswatch poll`: one fetch cycle over the enabled feeds that are due, then exit.

use super::cycle::{self, report_failures, CycleArgs};
use super::output::{note, quiet};
use super::{
    load_config, open_store_seeded, parse_duration, print, GlobalArgs, EXIT_OK, EXIT_SOME_FAILED,
};
use crate::daemon::Control;
use crate::deliver::{Deliverer, DeliveryReport};
use crate::pipeline::CycleOptions;
use anyhow::Context;
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;

/// Output of `poll`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PollFormat {
    Table,
    Json,
}

/// Arguments of `poll`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch poll
  statuswatch poll --format json
  statuswatch poll --feed 12 --timeout 5s")]
pub struct PollArgs {
    /// Poll only this feed (its id or URL).
    #[arg(long, value_name = "ID|URL")]
    pub feed: Option<String>,
    /// `json`: the summary as one JSON object on the last line (printed even with -q, which
    /// silences the table's summary lines).
    #[arg(long, value_enum, default_value = "table")]
    pub format: PollFormat,
    /// Fetch-log rows and finished delivery attempts older than this many days are deleted
    /// at the end of the cycle.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub keep_fetches_days: u32,
    /// After the cycle, deliver pending webhook events for at most this long (`10s`, `1m`;
    /// 0: leave them for the next run). What is not delivered waits in the outbox.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub deliver_timeout: Duration,
    /// Seconds in-flight fetches get to finish and be stored after SIGINT/SIGTERM (feeds not
    /// yet fetching never start); a second signal exits at once.
    #[arg(long, default_value_t = 10)]
    pub grace_secs: u64,
    #[command(flatten)]
    pub cycle: CycleArgs,
}

pub fn run(global: &GlobalArgs, args: &PollArgs) -> anyhow::Result<i32> {
    // Fail on a bad configuration or rules file before touching the network.
    let config = load_config(global)?;
    let rules = super::load_shared_rules(args.cycle.rules.as_deref())?;
    let (mut store, seeded) = open_store_seeded(&global.db)?;
    // Before the cycle, so a webhook new in the configuration gets this cycle's events.
    let hooks: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    store.register_webhooks(&hooks, Utc::now())?;
    if seeded > 0 {
        note(&format!(
            "A new database: imported {seeded} feeds from the bundled catalog."
        ));
    } else if store.feed_count()? == 0 {
        note(super::NO_FEEDS);
    }
    let feeds = match &args.feed {
        Some(which) => {
            let feed = store.find_feed(which)?;
            if !feed.enabled {
                note(&format!("Feed {} is disabled.", feed.spec.title));
                return Ok(EXIT_OK);
            }
            if feed.spec.is_replay() {
                note(&format!(
                    "Feed {} ({}) is a replayed feed: its documents come only from a replay directory (`statuswatch replay`), never from the network.",
                    feed.spec.title,
                    feed.spec.shown_url()
                ));
                return Ok(EXIT_OK);
            }
            if feed.is_backing_off(Utc::now()) {
                note(&format!(
                    "Feed {} is backing off until {}; `statuswatch feeds check {}` fetches it now.",
                    feed.spec.title,
                    feed.next_fetch_at.as_deref().unwrap_or_default(),
                    feed.id
                ));
                return Ok(EXIT_OK);
            }
            vec![feed]
        }
        None => store.due_feeds(Utc::now())?,
    };
    let runtime = cycle::runtime()?;
    let (pipeline, writer_thread) =
        cycle::build_pipeline(store, &args.cycle, rules, &config, Duration::ZERO)?;
    let deliverer = match config.webhooks.is_empty() {
        true => None,
        false => Some(Deliverer::new(
            config.webhooks.clone(),
            config.delivery.clone(),
            pipeline.writer.clone(),
        )?),
    };
    let bar = cycle::progress_for(&feeds);
    let (control, control_rx) = watch::channel(Control::Run);
    let signalled = control_rx.clone();
    let grace = Duration::from_secs(args.grace_secs);
    let result = runtime.block_on(async {
        cycle::stop_on_signals(control)?;
        let stop = async {
            cycle::stopped(control_rx).await;
            note(&format!("Stopping: no new fetches; those in flight get {} s to finish and be stored (send the signal again to exit at once).", grace.as_secs()));
        };
        Ok::<_, anyhow::Error>(
            pipeline
                .poll_until(feeds, CycleOptions::default(), || bar.inc(1), stop, grace)
                .await,
        )
    })?;
    bar.finish_and_clear();
    drop(pipeline);
    // A stopped cycle starts nothing new: undelivered events wait in the outbox.
    let stopped = *signalled.borrow() == Control::Stop;
    let delivery = match &deliverer {
        Some(d) if result.is_ok() && !stopped && !args.deliver_timeout.is_zero() => {
            let deadline = tokio::time::Instant::now() + args.deliver_timeout;
            // The cycle's work is committed whatever happens here: a delivery failure is
            // reported, and what was not delivered waits in the outbox for the next run.
            runtime
                .block_on(d.deliver_pending(deadline))
                .unwrap_or_else(|e| {
                    super::output::error_line(&format!(
                        "Webhook delivery stopped: {e}. Undelivered events wait for the next run."
                    ));
                    DeliveryReport::default()
                })
        }
        _ => DeliveryReport::default(),
    };
    drop(deliverer);
    let mut store = cycle::join_writer(writer_thread)?;
    let (summary, reports) = result?;
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(args.keep_fetches_days));
    // A crontab running `poll` is a whole deployment: it does the daemon's upkeep too (the
    // next run does it when this one was stopped).
    if !stopped {
        let (fetches, deliveries) = store
            .housekeeping(cutoff)
            .context("cannot prune the fetch and delivery logs")?;
        tracing::info!(fetches, deliveries, "Pruned old log rows.");
    }
    for report in &reports {
        tracing::debug!(feed = %report.title, result = ?report.result, "Feed fetched.");
    }
    cycle::report_notes(&reports);
    report_failures(&reports);
    if summary.network_down {
        super::output::error_line("Most feeds could not be reached: the network looks down. Their failures are logged but not held against them.");
    }
    if stopped {
        super::output::error_line(&format!(
            "Stopped by a signal: {} feeds not started, {} abandoned when the grace period ran out; nothing of theirs was stored and they are due at the next poll.",
            summary.not_started, summary.abandoned
        ));
    }
    if delivery.dead > 0 {
        super::output::error_line(&format!(
            "{} webhook deliveries gave up after their last retry: `statuswatch webhooks dead` lists them.",
            delivery.dead
        ));
    }
    match args.format {
        PollFormat::Json => {
            // The summary's own keys first, in their order; the delivery counts after them.
            let json = serde_json::to_string(&summary)?;
            let json = json.strip_suffix('}').unwrap_or(&json);
            print(&format!(
                "{json},\"delivered\":{},\"delivery_pending\":{},\"dead_letters\":{}}}\n",
                delivery.delivered, delivery.pending, delivery.dead
            ))?
        }
        // -q: the summary is a note; the exit code and the failures on stderr still tell.
        PollFormat::Table if quiet() => {}
        PollFormat::Table => print(&format!(
            "Polled {} feeds: {} fetched, {} not modified, {} failed. Entries: {} new, {} revised, {} unchanged. Events: {}.\n",
            summary.feeds,
            summary.fetched,
            summary.not_modified,
            summary.errors,
            summary.new,
            summary.updated,
            summary.unchanged,
            summary.events
        ))?,
    }
    if args.format == PollFormat::Table && !hooks.is_empty() && !quiet() {
        print(&format!(
            "Webhooks: {} delivered, {} pending, {} dead letters.\n",
            delivery.delivered, delivery.pending, delivery.dead
        ))?;
    }
    Ok(if summary.errors > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}
