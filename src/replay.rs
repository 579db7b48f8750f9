//! Replay: captured documents stored as if they had been fetched live, with the clock set to
//! each capture's time.
//!
//! The command (`cli/replay.rs`) reads the replay directory and orders the captures; this
//! module runs them through the pipeline's own functions, in that order: each capture is
//! prepared ([`pipeline::prepare_document`]: parse, classify, digests) and stored
//! ([`pipeline::store_document`], or [`pipeline::store_fetch`] as a failed fetch when it does
//! not parse; as the 304 a conditional GET would get when it repeats the feed's last stored
//! capture byte for byte), and after the last capture of each time the correlate stage runs
//! ([`pipeline::correlate`]) at that time, unless no capture brought anything new since it
//! last ran and no cluster is open (what it reads has not moved). Every stage gets the capture's time as `now`, so
//! events carry it as `detected_at` and health, backoff and ages are judged by it. Nothing
//! here reads a file or the network: the command hands each capture's bytes in.

use crate::classify::Rules;
use crate::correlate::CorrelationSettings;
use crate::fetch::backoff::BackoffPolicy;
use crate::model::{FetchOutcome, FetchRecord};
use crate::pipeline::{
    self, feed_context, parse_options, prepare_document, prepare_document_known, KnownHashes,
};
use crate::store::{FeedRow, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// How a replay judges what it stores.
#[derive(Debug, Clone)]
pub struct ReplaySettings<'a> {
    pub rules: &'a Rules,
    /// A feed failing this long (in replayed time) raises `feed_failing`.
    pub failing_after: Duration,
    pub correlation: &'a CorrelationSettings,
    /// The retry policy a failed capture's `next_fetch_at` is computed with (no jitter, so
    /// a replay is reproducible).
    pub backoff: BackoffPolicy,
    /// Pass the entries a feed already holds with the same hash on as known unchanged
    /// ([`pipeline::prepare_document_known`]); off only to show it stores the same.
    pub skip_known: bool,
}

/// One capture to replay: which stored feed served it, and from when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub feed_id: i64,
    pub at: DateTime<Utc>,
    /// The file it came from, for messages (this module reads nothing: `load` does).
    pub file: std::path::PathBuf,
}

/// What became of one capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureResult {
    /// Parsed and stored; `events` state and health events it raised; `changed` when it
    /// brought new or revised entries or raised events (not only a repeat of what is stored).
    Stored {
        entries: usize,
        events: usize,
        changed: bool,
    },
    /// The same bytes as the feed's last stored capture: what a conditional GET answers with
    /// 304, recorded as one (the feed's health only, no document, no re-plan), raising
    /// `events` health events (a recovery).
    Unchanged { events: usize },
    /// Could not be used: recorded as a failed fetch at its time (`recorded`), or, when its
    /// bytes could not even be read, not recorded at all.
    Failed { error: String, recorded: bool },
}

/// Totals of a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    pub captures: usize,
    pub stored: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Every event raised: state, health and `correlated_outage`.
    pub events: usize,
    /// The `correlated_outage` events among them.
    pub cluster_events: usize,
}

/// Replays `captures` (already in replay order: time, then vendor) into `store`. `load` gives
/// a capture's bytes (an `Err` with a reason when they cannot be read); `seen` hears what
/// became of each capture. The correlate stage runs after the last capture of each time.
/// Only a database failure is an `Err`: a bad capture is a failed fetch, and the replay goes on.
pub fn replay(
    store: &mut Store,
    settings: &ReplaySettings<'_>,
    captures: &[Capture],
    mut load: impl FnMut(&Capture) -> Result<Vec<u8>, String>,
    mut seen: impl FnMut(&Capture, &CaptureResult),
) -> Result<ReplaySummary, StoreError> {
    let mut summary = ReplaySummary::default();
    let mut feeds: HashMap<i64, FeedRow> = HashMap::new();
    // Each feed's last stored capture: the body a 304 would stand for. A failed capture
    // clears it, as a live failure stores no validators.
    let mut last: HashMap<i64, Vec<u8>> = HashMap::new();
    // Each feed's entry count in its last stored document.
    let mut entries_of: HashMap<i64, usize> = HashMap::new();
    // Something a document brought moved since the correlate stage last ran.
    let mut changed = false;
    for (i, capture) in captures.iter().enumerate() {
        let feed = match feeds.get(&capture.feed_id) {
            Some(feed) => feed.clone(),
            None => {
                let feed = store.find_feed(&capture.feed_id.to_string())?;
                feeds.insert(capture.feed_id, feed.clone());
                feed
            }
        };
        let result = match load(capture) {
            Ok(body) if last.get(&capture.feed_id) == Some(&body) => {
                replay_unchanged(store, settings, &feed, capture.at)?
            }
            Ok(body) => {
                let result = replay_capture(store, settings, &feed, &body, capture.at)?;
                match result {
                    CaptureResult::Stored { .. } => last.insert(capture.feed_id, body),
                    _ => last.remove(&capture.feed_id),
                };
                result
            }
            Err(error) => CaptureResult::Failed {
                error,
                recorded: false,
            },
        };
        summary.captures += 1;
        match &result {
            CaptureResult::Stored { events, .. } => {
                summary.stored += 1;
                summary.events += events;
            }
            CaptureResult::Unchanged { events } => {
                summary.unchanged += 1;
                summary.events += events;
            }
            CaptureResult::Failed { .. } => summary.failed += 1,
        }
        seen(capture, &result);
        if let CaptureResult::Stored {
            entries,
            changed: c,
            ..
        } = result
        {
            // An entry left out closes its incident as withdrawn: a change too.
            let before = entries_of.insert(capture.feed_id, entries);
            changed |= c || before.is_some_and(|n| n != entries);
        }
        let last_of_its_time = captures.get(i + 1).is_none_or(|next| next.at != capture.at);
        // Captures are timed to the second, so nearly every one is a time of its own: the
        // correlate stage (which reads its inputs from the whole archive) is left out after a
        // time when no capture moved anything (each a 304, a failure, or a document repeating
        // what is stored: no incident or state moved) and no cluster is open (whose `grew`
        // may be waiting for its window).
        if last_of_its_time && (changed || store.cluster_open()?) {
            let raised = pipeline::correlate(store, settings.correlation, capture.at)?;
            summary.events += raised;
            summary.cluster_events += raised;
            changed = false;
        }
    }
    Ok(summary)
}

/// A capture that repeats the feed's last stored one: recorded as the 304 a conditional GET
/// would have got at `at`.
pub fn replay_unchanged(
    store: &mut Store,
    settings: &ReplaySettings<'_>,
    feed: &FeedRow,
    at: DateTime<Utc>,
) -> Result<CaptureResult, StoreError> {
    let record = FetchRecord {
        started_at: at,
        http_status: Some(304),
        outcome: FetchOutcome::NotModified,
        ..FetchRecord::default()
    };
    let recorded = pipeline::store_fetch(
        store,
        &feed_context(feed),
        &record,
        settings.failing_after,
        at,
    )?;
    Ok(CaptureResult::Unchanged {
        events: recorded.events,
    })
}

/// One capture of `feed`, served from `at`: stored like a live fetch's document at that time,
/// or, when it does not parse, recorded as a failed fetch at that time (with its backoff and,
/// after `failing_after`, `feed_failing`).
pub fn replay_capture(
    store: &mut Store,
    settings: &ReplaySettings<'_>,
    feed: &FeedRow,
    body: &[u8],
    at: DateTime<Utc>,
) -> Result<CaptureResult, StoreError> {
    let context = feed_context(feed);
    let mut record = FetchRecord {
        started_at: at,
        http_status: Some(200),
        bytes: Some(body.len() as u64),
        ..FetchRecord::default()
    };
    let options = parse_options(&feed.spec);
    let known = if settings.skip_known {
        store.entry_hashes(feed.id)?
    } else {
        KnownHashes::new()
    };
    match prepare_document_known(settings.rules, body, &options, &known) {
        Ok(document) => {
            record.outcome = FetchOutcome::Ok;
            record.repaired = document.repaired;
            // Kept in the fetch log as a live poll keeps them.
            record.notes = document.notes.clone();
            record.entries = Some(document.entries.len());
            let store_it = |store: &mut Store, document: &pipeline::PreparedDocument| {
                let failing_after = settings.failing_after;
                pipeline::store_document(store, &context, &record, document, failing_after, at)
            };
            let counts = match store_it(store, &document) {
                // Another process wrote the feed since its hashes were read: in full, then.
                Err(changed @ StoreError::KnownEntryChanged { .. }) => {
                    match prepare_document(settings.rules, body, &options) {
                        Ok(full) => store_it(store, &full)?,
                        Err(_) => return Err(changed),
                    }
                }
                other => other?,
            };
            Ok(CaptureResult::Stored {
                entries: document.entries.len(),
                events: counts.events,
                changed: counts.new + counts.updated + counts.events > 0,
            })
        }
        Err(err) => {
            let error = err.to_string();
            // The feed's health as stored now: earlier captures may have failed too.
            let before = store.find_feed(&feed.id.to_string())?;
            pipeline::held_failure(
                &before,
                &mut record,
                pipeline::parse_outcome(&err),
                &error,
                None,
                &settings.backoff,
                at,
                &mut || 0.5,
            );
            pipeline::store_fetch(store, &context, &record, settings.failing_after, at)?;
            Ok(CaptureResult::Failed {
                error,
                recorded: true,
            })
        }
    }
}
