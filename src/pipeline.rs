//! The only place that knows the stage order: fetch → parse → classify → store (+ events).
//!
//! A poll cycle fetches feeds concurrently (bounded), parses and classifies each body off the
//! async runtime, and hands the result to the single database writer, which stores the
//! entries, the fetch log row, the new service state and its events in one transaction per
//! feed. One feed's failure is recorded against that feed and never stops the others.

use crate::classify::Rules;
use crate::events::{plan_state, FeedContext};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::{ClassifiedEntry, ParsedFeed};
use crate::parse::{parse_feed, ParseError, ParseOptions};
use crate::store::writer::Writer;
use crate::store::{FeedRow, FetchRecord, IngestCounts, StoreError};
use chrono::Utc;
use futures::stream::{self, StreamExt};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// What happened to one feed in a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum FeedResult {
    Stored {
        new: usize,
        updated: usize,
        unchanged: usize,
        events: usize,
        repaired: bool,
    },
    NotModified,
    Failed {
        outcome: String,
        error: String,
    },
}

/// One feed's line in the cycle report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedReport {
    pub feed_id: i64,
    pub title: String,
    pub url: String,
    #[serde(flatten)]
    pub result: FeedResult,
}

/// Totals of one cycle; the JSON keys are a stable interface (scripts and benchmarks read them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollSummary {
    pub feeds: usize,
    pub fetched: usize,
    pub not_modified: usize,
    pub errors: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub events: usize,
}

impl PollSummary {
    fn add(&mut self, result: &FeedResult) {
        self.feeds += 1;
        match result {
            FeedResult::Stored {
                new,
                updated,
                unchanged,
                events,
                ..
            } => {
                self.fetched += 1;
                self.new += new;
                self.updated += updated;
                self.unchanged += unchanged;
                self.events += events;
            }
            FeedResult::NotModified => self.not_modified += 1,
            FeedResult::Failed { .. } => self.errors += 1,
        }
    }
}

/// Everything a cycle needs, built once and shared by every feed.
#[derive(Clone)]
pub struct Pipeline {
    pub fetcher: Fetcher,
    pub rules: Arc<Rules>,
    pub writer: Writer,
    /// Feeds fetched at once.
    pub concurrency: usize,
}

impl Pipeline {
    /// Runs one cycle over `feeds`; returns the totals and one report per feed (in feed order).
    pub async fn poll(
        &self,
        feeds: Vec<FeedRow>,
    ) -> Result<(PollSummary, Vec<FeedReport>), StoreError> {
        let mut reports: Vec<FeedReport> = stream::iter(feeds)
            .map(|feed| self.poll_feed(feed))
            .buffer_unordered(self.concurrency.max(1))
            .collect::<Vec<Result<FeedReport, StoreError>>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        reports.sort_by_key(|r| r.feed_id);
        let mut summary = PollSummary::default();
        for report in &reports {
            summary.add(&report.result);
        }
        Ok((summary, reports))
    }

    /// Fetch, parse, classify and store one feed. Only a database failure is an `Err`: a feed
    /// that cannot be fetched or parsed is a `Failed` report, recorded in the fetch log.
    pub async fn poll_feed(&self, feed: FeedRow) -> Result<FeedReport, StoreError> {
        let started_at = Utc::now();
        let clock = Instant::now();
        let validators = Validators {
            etag: feed.etag.clone(),
            last_modified: feed.last_modified.clone(),
        };
        let fetched = self.fetcher.fetch(&feed.spec.url, &validators).await;
        let mut record = FetchRecord {
            started_at,
            duration_ms: 0,
            http_status: None,
            bytes: None,
            outcome: String::new(),
            repaired: false,
            entries: None,
            error: None,
            etag: None,
            last_modified: None,
            next_fetch_at: None,
        };
        let report = |result| FeedReport {
            feed_id: feed.id,
            title: feed.spec.title.clone(),
            url: feed.spec.url.clone(),
            result,
        };
        let (status, body, validators) = match fetched {
            Ok(FetchOutcome::NotModified { status }) => {
                record.duration_ms = clock.elapsed().as_millis() as i64;
                record.http_status = Some(status);
                record.outcome = "not_modified".into();
                let id = feed.id;
                self.writer
                    .run(move |s| s.record_fetch(id, &record))
                    .await?;
                return Ok(report(FeedResult::NotModified));
            }
            Ok(FetchOutcome::Modified {
                status,
                body,
                validators,
                ..
            }) => (status, body, validators),
            Err(err) => {
                let result = self
                    .record_failure(&feed, record, clock, err.outcome(), err.http_status(), &err)
                    .await?;
                return Ok(report(result));
            }
        };
        record.http_status = Some(status);
        record.bytes = Some(body.len() as u64);

        let options = ParseOptions {
            engine: feed.spec.engine,
            feed_url: Some(feed.spec.url.clone()),
        };
        let rules = Arc::clone(&self.rules);
        // Parsing and classifying are CPU work: keep them off the async workers.
        let parsed = tokio::task::spawn_blocking(move || {
            parse_feed(&body, &options).map(|parsed| classify_all(&rules, parsed))
        })
        .await;
        let (parsed, classified) = match parsed {
            Ok(Ok(done)) => done,
            Ok(Err(err)) => {
                let outcome = parse_outcome(&err);
                let result = self
                    .record_failure(&feed, record, clock, outcome, Some(status), &err)
                    .await?;
                return Ok(report(result));
            }
            Err(join) => {
                let err = ParseError::Invalid(format!("the parser stopped unexpectedly: {join}"));
                let result = self
                    .record_failure(&feed, record, clock, "parse_error", Some(status), &err)
                    .await?;
                return Ok(report(result));
            }
        };
        record.duration_ms = clock.elapsed().as_millis() as i64;
        record.outcome = "ok".into();
        record.repaired = parsed.repaired;
        record.entries = Some(classified.len());
        record.etag = validators.etag;
        record.last_modified = validators.last_modified;
        let context = FeedContext {
            feed_id: feed.id,
            vendor: feed.spec.vendor.clone(),
            title: feed.spec.title.clone(),
            url: feed.spec.url.clone(),
        };
        let engine = parsed.engine;
        let repaired = parsed.repaired;
        let feed_id = feed.id;
        let counts: IngestCounts = self
            .writer
            .run(move |store| {
                let counts = store.ingest(feed_id, &record, &classified, |inputs| {
                    plan_state(&context, inputs, Utc::now())
                })?;
                store.set_detected_engine(feed_id, engine)?;
                Ok(counts)
            })
            .await?;
        Ok(report(FeedResult::Stored {
            new: counts.new,
            updated: counts.updated,
            unchanged: counts.unchanged,
            events: counts.events,
            repaired,
        }))
    }

    async fn record_failure(
        &self,
        feed: &FeedRow,
        mut record: FetchRecord,
        clock: Instant,
        outcome: &str,
        http_status: Option<u16>,
        err: &(dyn std::fmt::Display + Sync),
    ) -> Result<FeedResult, StoreError> {
        let message = err.to_string();
        record.duration_ms = clock.elapsed().as_millis() as i64;
        record.http_status = http_status;
        record.outcome = outcome.to_string();
        record.error = Some(message.clone());
        let id = feed.id;
        self.writer
            .run(move |s| s.record_fetch(id, &record))
            .await?;
        tracing::warn!(feed = %feed.spec.title, url = %feed.spec.url, error = %message, "Feed failed.");
        Ok(FeedResult::Failed {
            outcome: outcome.to_string(),
            error: message,
        })
    }
}

fn parse_outcome(err: &ParseError) -> &'static str {
    match err {
        ParseError::Empty => "empty",
        ParseError::NotAFeed(_) => "not_a_feed",
        _ => "parse_error",
    }
}

/// Classifies every entry of a parsed feed, with the worst status each one reached. The
/// entries move into the result (the returned `ParsedFeed` keeps the rest, with no entries),
/// so a feed's text is held once, not twice.
pub fn classify_all(rules: &Rules, mut parsed: ParsedFeed) -> (ParsedFeed, Vec<ClassifiedEntry>) {
    let engine = parsed.engine;
    let classified = std::mem::take(&mut parsed.entries)
        .into_iter()
        .map(|entry| {
            let (class, worst) = rules.classify_with_worst(engine, &entry);
            ClassifiedEntry {
                entry,
                class,
                worst,
            }
        })
        .collect();
    (parsed, classified)
}
