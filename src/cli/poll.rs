//! `statuswatch poll`: one fetch cycle over the enabled feeds that are due, then exit.

use super::cycle::{report_failures, run_cycle, CycleArgs};
use super::{open_store, print, seed_bundled_catalog, GlobalArgs, EXIT_OK, EXIT_SOME_FAILED};
use crate::classify::Rules;
use crate::pipeline::CycleOptions;
use anyhow::Context;
use chrono::Utc;
use std::path::PathBuf;

/// Output of `poll`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PollFormat {
    Table,
    Json,
}

/// Arguments of `poll`.
#[derive(Debug, Clone, clap::Args)]
pub struct PollArgs {
    /// Poll only this feed (its id or URL).
    #[arg(long, value_name = "ID|URL")]
    pub feed: Option<String>,
    /// `json`: the summary as one JSON object on the last line.
    #[arg(long, value_enum, default_value = "table")]
    pub format: PollFormat,
    /// Fetch-log rows older than this many days are deleted at the end of the cycle.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub keep_fetches_days: u32,
    #[command(flatten)]
    pub cycle: CycleArgs,
}

/// Loads the embedded rules plus the user's file, if any.
pub fn load_rules(path: Option<&PathBuf>) -> anyhow::Result<Rules> {
    let rules = Rules::embedded();
    match path {
        None => Ok(rules),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            Ok(rules.with_overrides(&text, &path.display().to_string())?)
        }
    }
}

pub fn run(global: &GlobalArgs, args: &PollArgs) -> anyhow::Result<i32> {
    // Fail on a bad rules file before touching the network.
    load_rules(args.cycle.rules.as_ref())?;
    let mut store = open_store(&global.db)?;
    let seeded = seed_bundled_catalog(&mut store)?;
    if seeded > 0 {
        eprintln!("The database had no feeds: imported {seeded} from the bundled catalog.");
    }
    let feeds = match &args.feed {
        Some(which) => {
            let feed = store.find_feed(which)?;
            if !feed.enabled {
                eprintln!("Feed {} is disabled.", feed.spec.title);
                return Ok(EXIT_OK);
            }
            if feed.is_backing_off(Utc::now()) {
                eprintln!(
                    "Feed {} is backing off until {}; `statuswatch feeds check {}` fetches it now.",
                    feed.spec.title,
                    feed.next_fetch_at.as_deref().unwrap_or_default(),
                    feed.id
                );
                return Ok(EXIT_OK);
            }
            vec![feed]
        }
        None => store.due_feeds(Utc::now())?,
    };
    let (mut store, summary, reports) =
        run_cycle(store, feeds, &args.cycle, CycleOptions::default())?;
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(args.keep_fetches_days));
    let pruned = store
        .prune_fetches(cutoff)
        .context("cannot prune the fetch log")?;
    tracing::info!(pruned, "Pruned old fetch-log rows.");
    report_failures(&reports);
    if summary.network_down {
        eprintln!(
            "Most feeds could not be reached: the network looks down. Their failures are logged but not held against them."
        );
    }
    match args.format {
        PollFormat::Json => print(&format!("{}\n", serde_json::to_string(&summary)?))?,
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
    Ok(if summary.errors > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}
