//! `statuswatch reclassify`: re-run the current rules over every stored entry (its newest
//! revision, kept whole for this) and update entries, incidents and service state without
//! fetching anything. Raises no events: re-reading history is not news.

use super::{open_store, print, GlobalArgs, EXIT_OK};
use crate::model::{ClassifiedEntry, Engine};
use crate::pipeline::{feed_context, state_planner};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `reclassify`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch reclassify --rules my-rules.toml --dry-run
  statuswatch reclassify --feed 12")]
pub struct ReclassifyArgs {
    /// A TOML rules file adding to or overriding the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Only this feed (id or URL).
    #[arg(long, value_name = "ID|URL")]
    pub feed: Option<String>,
    /// Report what would change, write nothing (the report prints even with -q).
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(global: &GlobalArgs, args: &ReclassifyArgs) -> anyhow::Result<i32> {
    let rules = super::load_rules(args.rules.as_deref())?;
    let mut store = open_store(&global.db)?;
    let feeds = match &args.feed {
        Some(which) => vec![store.find_feed(which)?],
        None => store.list_feeds()?,
    };
    let mut examined = 0;
    let mut changes: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut feeds_changed = 0;
    let mut states_changed = 0;
    let mut incidents_removed = 0;
    let mut incidents_added = 0;
    let mut overrides_dropped = 0;
    let bar = super::output::progress(feeds.len(), "feeds");
    for feed in &feeds {
        bar.inc(1);
        let stored = store.feed_entries(feed.id)?;
        let engine = feed
            .spec
            .engine
            .or(feed.detected_engine)
            .unwrap_or(Engine::Generic);
        let mut verdicts = Vec::with_capacity(stored.len());
        let mut changed_here = 0;
        for mut s in stored {
            examined += 1;
            // Entries stored before a chaining rule existed join their chain now.
            let chain = crate::parse::derive_chain_key(engine, &s.entry);
            s.entry.incident_key = chain;
            let (class, worst) = rules.classify_with_worst(engine, &s.entry);
            let rechained = s.entry.incident_key != s.incident_chain
                && (s.has_incident || class.status != crate::model::Status::Informational);
            if class.status != s.status
                || class.phase != s.phase
                || class.rule != s.rule
                || rechained
            {
                changed_here += 1;
                if class.status != s.status {
                    *changes
                        .entry((s.status.to_string(), class.status.to_string()))
                        .or_default() += 1;
                }
            }
            verdicts.push((
                s.entry_id,
                ClassifiedEntry {
                    entry: s.entry,
                    class,
                    worst,
                },
            ));
        }
        if changed_here == 0 || args.dry_run {
            feeds_changed += usize::from(changed_here > 0);
            continue;
        }
        feeds_changed += 1;
        let context = feed_context(feed);
        let rebuilt = store.reclassify_feed(
            feed.id,
            &verdicts,
            state_planner(&context, chrono::Utc::now()),
        )?;
        states_changed += rebuilt.states_changed;
        incidents_removed += rebuilt.incidents_removed;
        incidents_added += rebuilt.incidents_added;
        overrides_dropped += rebuilt.overrides_dropped;
    }
    let mut out = format!(
        "{} {examined} entries in {} feeds: {} status changes in {feeds_changed} feeds",
        if args.dry_run {
            "Would reclassify"
        } else {
            "Reclassified"
        },
        feeds.len(),
        changes.values().sum::<usize>(),
    );
    if !args.dry_run {
        out.push_str(&format!(
            "; incidents rebuilt ({incidents_added} new, {incidents_removed} merged away or gone); \
             {states_changed} service or component states changed (no events raised)"
        ));
    }
    out.push_str(".\n");
    bar.finish_and_clear();
    if overrides_dropped > 0 {
        out.push_str(&format!(
            "  {overrides_dropped} incident override(s) removed with their incidents: under the new rules \
             their entries are no incident at all (see `statuswatch override list`).\n"
        ));
    }
    for ((from, to), n) in &changes {
        out.push_str(&format!("  {from} → {to}: {n}\n"));
    }
    // -q silences the summary, unless it is what was asked for (--dry-run).
    if !super::output::quiet() || args.dry_run {
        print(&out)?;
    }
    Ok(EXIT_OK)
}
