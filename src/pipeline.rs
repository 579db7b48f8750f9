//! The only place that knows the stage order: fetch → parse → classify → store (+ events).
//!
//! A poll cycle fetches feeds concurrently (bounded), parses and classifies each body off the
//! async runtime, and hands the result to the single database writer, which stores the
//! entries, the fetch log row, the new service state and its events in one transaction per
//! feed. One feed's failure is recorded against that feed and never stops the others.

use crate::classify::{Rules, SharedRules};
use crate::events::health::{network_down_event, plan_feed_health};
use crate::events::{plan_state, FeedContext};
use crate::fetch::backoff::{self, Failure};
use crate::fetch::politeness::{Permits, Politeness};
use crate::fetch::{Authorization, FetchError, Fetched, Fetcher, Validators};
use crate::model::{
    ClassifiedEntry, DocumentFacts, Engine, FetchOutcome, FetchRecord, MovedTo, ParsedFeed,
    Reported, StateInputs, StatePlan,
};
use crate::parse::{parse_feed, ParseError, ParseOptions};
use crate::redact;
use crate::store::writer::Writer;
use crate::store::{
    parse_time_text, time_text, FeedRow, IngestCounts, RecordedFetch, StorableEntry, Store,
    StoreError,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A cycle of at least this many feeds can be judged "network down"...
pub const NETWORK_DOWN_MIN_FEEDS: usize = 5;
/// ...when at least this share of them (in percent) could not reach their servers.
pub const NETWORK_DOWN_PERCENT: usize = 80;

/// Feeds that may hold a body or a parse at once, per fetch slot. More than one, so that
/// while the writer commits, parsed feeds gather into its next group commit (fewer, larger
/// commits write fewer pages); bounded, so memory does not grow with the feed count.
pub const IN_FLIGHT_PER_FETCH_SLOT: usize = 2;

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
        /// What the parser said about the document (invalid UTF-8 read as Windows-1252,
        /// duplicate ids, entries left out by the cap), one sentence each.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    NotModified,
    Failed {
        outcome: FetchOutcome,
        error: String,
        /// False when the cycle found our network down: the failure was logged but not held
        /// against the feed (no backoff, no failure count, no `feed_failing`).
        counted: bool,
    },
    /// The feed was removed (`feeds remove`, another process) while this cycle fetched it:
    /// nothing was stored, and the cycle's totals leave it out.
    Removed,
}

/// One feed's line in the cycle report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedReport {
    pub feed_id: i64,
    pub title: String,
    pub url: String,
    pub http_status: Option<u16>,
    pub bytes: Option<u64>,
    pub duration_ms: i64,
    /// Entries in the document, when it was parsed.
    pub entries: Option<usize>,
    /// When the feed is tried again (backoff), for failures.
    pub next_fetch_at: Option<String>,
    /// The stored URL changed to this (a confirmed permanent redirect).
    pub moved_to: Option<String>,
    /// The proxy the fetch went through (credentials redacted), when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(flatten)]
    pub result: FeedResult,
    /// How the work went, for the daemon's metrics; not part of the report's JSON.
    #[serde(skip)]
    pub work: FeedWork,
}

/// One feed's timings and the kinds of the events its write raised: plain data the daemon
/// turns into metrics (the pipeline knows nothing of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedWork {
    /// The request, from sending it until the whole body was in (or it failed).
    pub fetch: Duration,
    /// Parse → classify → digests, when a body was parsed (successfully or not).
    pub parse: Option<Duration>,
    /// The kinds of the events stored with this feed's write, one per event.
    pub event_kinds: Vec<&'static str>,
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
    /// Most feeds could not be reached: the failures were not held against them.
    pub network_down: bool,
    /// Feeds a stopping cycle (SIGINT, SIGTERM) never started; they stay due.
    pub not_started: usize,
    /// Feeds still fetching when a stopping cycle's grace period ran out: nothing of theirs
    /// was stored.
    pub abandoned: usize,
    /// The kinds of the events the cycle as a whole raised (`network_down`,
    /// `correlated_outage`), one per event; each feed's own are in its report. For the
    /// daemon's metrics; not part of the JSON.
    #[serde(skip)]
    pub cycle_event_kinds: Vec<&'static str>,
}

impl PollSummary {
    fn add(&mut self, report: &FeedReport) {
        let result = &report.result;
        if *result == FeedResult::Removed {
            return;
        }
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
            FeedResult::Removed => {}
        }
    }
}

/// How a cycle fetches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleOptions {
    /// Send no validators, so every feed is really downloaded (`feeds check`).
    pub ignore_validators: bool,
}

/// Everything a cycle needs, built once and shared by every feed.
#[derive(Clone)]
pub struct Pipeline {
    pub fetcher: Fetcher,
    pub rules: SharedRules,
    pub writer: Writer,
    /// Global and per-host fetch slots.
    pub politeness: Arc<Politeness>,
    /// A feed failing this long raises `feed_failing`.
    pub failing_after: Duration,
    /// Parses at once: one per core. Every feed of a cycle is in flight together (waiting
    /// on fetch slots), so this, not the runtime's large blocking pool, bounds parsing.
    pub parse_slots: Arc<Semaphore>,
    /// Feeds between their fetch and the end of their write: bounds the bodies and parsed
    /// documents held at once when the writer is slower than the network
    /// ([`IN_FLIGHT_PER_FETCH_SLOT`] per fetch slot).
    pub in_flight: Arc<Semaphore>,
    /// How the correlate stage that ends every cycle judges bursts (`[correlation]`).
    pub correlation: Arc<crate::correlate::CorrelationSettings>,
    /// Entries taken from one document at most, the newest (`--max-entries`).
    pub max_entries: usize,
}

/// A feed whose fetch never reached its server; written once the cycle knows whether the
/// network as a whole was down.
pub struct Unreached {
    feed: FeedRow,
    record: FetchRecord,
    error: FetchError,
}

/// One feed's work: either finished and stored, or unreached and waiting for
/// [`Pipeline::settle`] to judge the cycle.
pub enum Done {
    Report(Box<FeedReport>),
    Unreached(Box<Unreached>),
    /// The cycle was stopping (`poll` got SIGINT or SIGTERM) before this feed got its fetch
    /// slot: nothing was fetched or written, and it stays due.
    NotStarted,
}

impl Done {
    fn report(report: FeedReport) -> Done {
        Done::Report(Box::new(report))
    }
}

impl Pipeline {
    /// Builds a pipeline whose fetch slots follow the fetcher's config.
    pub fn new(
        fetcher: Fetcher,
        rules: SharedRules,
        writer: Writer,
        failing_after: Duration,
    ) -> Pipeline {
        let politeness = Arc::new(Politeness::new(
            fetcher.config().concurrency,
            fetcher.config().per_host,
        ));
        Pipeline {
            rules,
            writer,
            politeness,
            failing_after,
            parse_slots: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            in_flight: Arc::new(Semaphore::new(
                fetcher.config().concurrency.max(1) * IN_FLIGHT_PER_FETCH_SLOT,
            )),
            correlation: Arc::new(crate::correlate::CorrelationSettings::default()),
            max_entries: crate::parse::cap::DEFAULT_MAX_ENTRIES,
            fetcher,
        }
    }

    /// Runs one cycle over `feeds`; returns the totals and one report per feed (in feed order).
    ///
    /// Every feed starts at once and waits for its fetch slots (global and per host), so a
    /// host with many feeds never blocks the feeds of other hosts. Feeds whose server could
    /// not be reached are written last: when most of the cycle failed that way the network
    /// is ours to blame, and they get log rows and one `network_down` event instead of
    /// backoff and a storm of `feed_failing`.
    pub async fn poll(
        &self,
        feeds: Vec<FeedRow>,
        options: CycleOptions,
    ) -> Result<(PollSummary, Vec<FeedReport>), StoreError> {
        self.poll_observed(feeds, options, || {}).await
    }

    /// [`Pipeline::poll`], calling `feed_done` as each feed's work ends (a command's
    /// progress bar counts them).
    pub async fn poll_observed(
        &self,
        feeds: Vec<FeedRow>,
        options: CycleOptions,
        feed_done: impl Fn(),
    ) -> Result<(PollSummary, Vec<FeedReport>), StoreError> {
        self.poll_until(
            feeds,
            options,
            feed_done,
            std::future::pending(),
            Duration::ZERO,
        )
        .await
    }

    /// [`Pipeline::poll_observed`] that can be stopped: once `stop` resolves (a signal), feeds
    /// not yet fetching never start, and those in flight get `grace` to finish and be stored;
    /// any still running then are abandoned, their writes never begun or rolled back whole
    /// (each feed's write is one savepoint). What finished is settled and summed as usual;
    /// the summary counts the feeds that never started and the abandoned ones.
    pub async fn poll_until(
        &self,
        feeds: Vec<FeedRow>,
        options: CycleOptions,
        feed_done: impl Fn(),
        stop: impl std::future::Future<Output = ()>,
        grace: Duration,
    ) -> Result<(PollSummary, Vec<FeedReport>), StoreError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        let total = feeds.len();
        let feed_done = &feed_done;
        // Boxed: each of a cycle's feeds waits in `running` at once, holding only a pointer.
        let mut running: FuturesUnordered<_> = feeds
            .into_iter()
            .map(Box::new)
            .map(|feed| async move {
                let done = self.poll_feed(feed, options).await;
                feed_done();
                done
            })
            .collect();
        let mut done = Vec::with_capacity(total);
        let mut stopped = false;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                next = running.next() => match next {
                    Some(item) => done.push(item?),
                    None => break,
                },
                () = &mut stop, if !stopped => {
                    stopped = true;
                    self.politeness.close();
                    tracing::info!(grace = ?grace, "Stopping: no new fetches; those in flight get the grace period.");
                    break;
                }
            }
        }
        let mut abandoned = 0;
        if stopped {
            let rest = async {
                while let Some(item) = running.next().await {
                    done.push(item?);
                }
                Ok::<(), StoreError>(())
            };
            match tokio::time::timeout(grace, rest).await {
                Ok(finished) => finished?,
                Err(_) => {
                    abandoned = running.len();
                    tracing::warn!(
                        abandoned,
                        "Grace period over: abandoning in-flight fetches (their writes roll back)."
                    );
                }
            }
        }
        drop(running);
        let not_started = done
            .iter()
            .filter(|d| matches!(d, Done::NotStarted))
            .count();
        let finished = done.len() - not_started;
        let (mut summary, reports) = self.settle(finished, done).await?;
        summary.not_started = not_started;
        summary.abandoned = abandoned;
        Ok((summary, reports))
    }

    /// Finishes a cycle of `total` feeds: writes the unreached ones (one `network_down` event
    /// when most of the cycle was unreachable, ordinary failures otherwise) and adds up.
    pub async fn settle(
        &self,
        total: usize,
        done: Vec<Done>,
    ) -> Result<(PollSummary, Vec<FeedReport>), StoreError> {
        let mut reports = Vec::with_capacity(done.len());
        let mut unreached = Vec::new();
        for item in done {
            match item {
                Done::Report(report) => reports.push(*report),
                Done::Unreached(u) => unreached.push(*u),
                Done::NotStarted => {}
            }
        }
        let network_down = total >= NETWORK_DOWN_MIN_FEEDS
            && unreached.len() * 100 >= total * NETWORK_DOWN_PERCENT;
        let mut summary = PollSummary {
            network_down,
            ..PollSummary::default()
        };
        if network_down {
            let (down, raised) = self.record_network_down(total, unreached).await?;
            reports.extend(down);
            // Kept out of `events`, as it always was (the JSON's meaning stays).
            if raised {
                summary
                    .cycle_event_kinds
                    .push(crate::model::EventKind::NetworkDown.as_str());
            }
        } else {
            for u in unreached {
                let outcome = u.error.outcome();
                let (id, title, url) = (
                    u.feed.id,
                    u.feed.spec.title.clone(),
                    u.feed.spec.shown_url().into_owned(),
                );
                let report = self
                    .record_failure(&u.feed, u.record, outcome, &u.error, None)
                    .await
                    .map(Done::report);
                if let Done::Report(report) = removed_as_report(report, id, title, url)? {
                    reports.push(*report);
                }
            }
        }
        reports.sort_by_key(|r| r.feed_id);
        for report in &mut reports {
            // The proxy follows from the URL's scheme, host and port, which the shown
            // (redacted) URL keeps.
            report.proxy = self.fetcher.proxy_for(&report.url);
            summary.add(report);
        }
        // Every vendor's state of this cycle is stored: judge the bursts at once.
        let settings = Arc::clone(&self.correlation);
        let correlated = self
            .writer
            .run(move |store| correlate(store, &settings, Utc::now()))
            .await?;
        summary.events += correlated;
        summary.cycle_event_kinds.extend(std::iter::repeat_n(
            crate::model::EventKind::CorrelatedOutage.as_str(),
            correlated,
        ));
        Ok((summary, reports))
    }

    async fn record_network_down(
        &self,
        total: usize,
        unreached: Vec<Unreached>,
    ) -> Result<(Vec<FeedReport>, bool), StoreError> {
        let samples: Vec<(String, String)> = unreached
            .iter()
            .take(5)
            .map(|u| {
                let error = redact::message(&u.error.to_string(), &u.feed.spec.url).into_owned();
                (u.feed.spec.title.clone(), error)
            })
            .collect();
        let event = network_down_event(total, unreached.len(), &samples, Utc::now());
        tracing::warn!(failed = unreached.len(), feeds = total, "Most feeds could not be reached: the network looks down; their failures are not held against them.");
        let ids: Vec<i64> = unreached.iter().map(|u| u.feed.id).collect();
        let mut rows = Vec::with_capacity(unreached.len());
        let mut reports = Vec::with_capacity(unreached.len());
        for u in unreached {
            let mut record = u.record;
            let message = format!(
                "{} (network down: not held against the feed)",
                redact::message(&u.error.to_string(), &u.feed.spec.url)
            );
            record.outcome = u.error.outcome();
            record.error = Some(message.clone());
            reports.push(FeedReport {
                next_fetch_at: u.feed.next_fetch_at.clone(),
                ..base_report(
                    &u.feed,
                    &record,
                    FeedResult::Failed {
                        outcome: record.outcome,
                        error: message,
                        counted: false,
                    },
                )
            });
            rows.push((u.feed.id, record));
        }
        let raised = self
            .writer
            .run(move |store| {
                let event = (!store.network_down_open(&ids)?).then_some(event);
                store.record_uncounted_fetches(&rows, event.as_ref())?;
                Ok(event.is_some())
            })
            .await?;
        Ok((reports, raised))
    }

    /// Fetch, parse, classify and store one feed. Only a database failure is an `Err`: a feed
    /// that cannot be fetched or parsed is a `Failed` report, recorded in the fetch log, and
    /// one removed meanwhile is a `Removed` report.
    pub async fn poll_feed(
        &self,
        feed: Box<FeedRow>,
        options: CycleOptions,
    ) -> Result<Done, StoreError> {
        // Every feed of a cycle waits here for its slots at once, so this future stays small
        // (the feed boxed, the slots' waiters): the fetch-parse-store state machine (about
        // 2.7 KB) is boxed only once the feed may start, not held by each of 10,000 waiting
        // feeds (heaptrack, 10,000-feed cold cycle: 17 MB of waiting futures before).
        let Some(permits) = self.politeness.acquire(&feed.spec.url).await else {
            return Ok(Done::NotStarted);
        };
        let (id, title, url) = (
            feed.id,
            feed.spec.title.clone(),
            feed.spec.shown_url().into_owned(),
        );
        let done = Box::pin(self.fetch_and_store(*feed, options, permits)).await;
        removed_as_report(done, id, title, url)
    }

    async fn fetch_and_store(
        &self,
        feed: FeedRow,
        options: CycleOptions,
        permits: Permits,
    ) -> Result<Done, StoreError> {
        let validators = if options.ignore_validators {
            Validators::default()
        } else {
            Validators {
                etag: feed.etag.clone(),
                last_modified: feed.last_modified.clone(),
            }
        };
        let (_in_flight, started_at, clock, fetched) = {
            let _permits = permits;
            // Held until this feed is written (or failed), while the fetch slots are given
            // back as soon as the body is in: the body and its parse stay counted. Taken
            // after the host's slot, so feeds queued behind a busy host never hold one.
            let in_flight = self.in_flight.acquire().await.ok();
            let started_at = Utc::now();
            let clock = Instant::now();
            let accept = fetch_accept(&feed.spec);
            // Header auth is read from the environment at each fetch; a variable not set is
            // this feed's failure, recorded as any other.
            let fetched = match feed.spec.auth_env.as_deref().map(Authorization::from_env) {
                None => {
                    self.fetcher
                        .fetch_accepting(&feed.spec.url, &validators, accept)
                        .await
                }
                Some(Ok(auth)) => {
                    self.fetcher
                        .authorized(auth)
                        .fetch_accepting(&feed.spec.url, &validators, accept)
                        .await
                }
                Some(Err(missing)) => Err(missing),
            };
            (in_flight, started_at, clock, fetched)
        };
        // Kept whole for the metrics: a loopback fetch can take under a millisecond.
        let fetch_time = clock.elapsed();
        let mut record = FetchRecord {
            started_at,
            duration_ms: fetch_time.as_millis() as i64,
            ..FetchRecord::default()
        };
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(err) if err.is_network() => {
                record.outcome = err.outcome();
                record.error = Some(redact::message(&err.to_string(), &feed.spec.url).into_owned());
                return Ok(Done::Unreached(Box::new(Unreached {
                    feed,
                    record,
                    error: err,
                })));
            }
            Err(err) => {
                record.http_status = err.http_status();
                let retry_after = err.retry_after();
                return self
                    .record_failure(&feed, record, err.outcome(), &err, retry_after)
                    .await
                    .map(Done::report);
            }
        };
        // Compared normalised: a feed stored under an old spelling has not moved by being
        // fetched (the fetched URL is the client's serialisation of it).
        // Most fetches end where they began, in the same spelling: no URL to parse then.
        let stored = || crate::model::normalize_feed_url(&feed.spec.url);
        if fetched.final_url() != feed.spec.url
            && crate::model::normalize_feed_url(fetched.final_url()) != stored()
        {
            record.final_url = Some(fetched.final_url().to_string());
        }
        record.moved = fetched
            .permanent_target()
            .filter(|to| crate::model::normalize_feed_url(to) != stored())
            .map(|to| MovedTo {
                url: to.to_string(),
                after: self.fetcher.config().moved_after,
            });
        let (status, body, validators) = match fetched {
            Fetched::NotModified { status, .. } => {
                record.http_status = Some(status);
                record.outcome = FetchOutcome::NotModified;
                let written = self.write_fetch(&feed, &record).await?;
                let mut report = base_report(&feed, &record, FeedResult::NotModified);
                report.moved_to = written.url_changed;
                report.work.event_kinds = written.event_kinds;
                return Ok(Done::report(report));
            }
            Fetched::Modified {
                status,
                body,
                validators,
                ..
            } => (status, body, validators),
        };
        record.http_status = Some(status);
        record.bytes = Some(body.len() as u64);

        let options = ParseOptions {
            max_entries: self.max_entries,
            ..parse_options(&feed.spec)
        };
        let rules = self.rules.clone();
        // A feed that has stored entries passes the unchanged ones on without classifying or
        // digesting them: their hashes are read once, while the feed waits for a parse slot.
        // A grouped job, so that it joins the writer's next group instead of splitting it.
        let feed_id = feed.id;
        let (known, slot) = tokio::join!(
            async {
                if feed.last_success_at.is_none() {
                    return Ok(KnownHashes::new());
                }
                self.writer
                    .run_grouped(move |store| store.entry_hashes(feed_id))
                    .await
            },
            // Never closed, so acquiring cannot fail; if it somehow did, parse unbounded.
            self.parse_slots.acquire()
        );
        let known = known?;
        // Parsing and classifying are CPU work: keep them off the async workers.
        let parsed = {
            let _slot = slot.ok();
            tokio::task::spawn_blocking(move || {
                let clock = Instant::now();
                let prepared = prepare_document_known(rules.get(), &body, &options, &known);
                // The body is kept only while a write may need the document again in full.
                let body = (!known.is_empty()).then_some(body);
                (prepared, clock.elapsed(), body)
            })
            .await
        };
        let (document, parse_time, body) = match parsed {
            Ok((Ok(done), took, body)) => (done, took, body),
            Ok((Err(err), took, _)) => {
                let outcome = parse_outcome(&err);
                return self
                    .record_failure(&feed, record, outcome, &err, None)
                    .await
                    .map(|mut report| {
                        report.work.parse = Some(took);
                        Done::report(report)
                    });
            }
            Err(join) => {
                let err = ParseError::Invalid(format!("the parser stopped unexpectedly: {join}"));
                return self
                    .record_failure(&feed, record, FetchOutcome::ParseError, &err, None)
                    .await
                    .map(Done::report);
            }
        };
        record.duration_ms = clock.elapsed().as_millis() as i64;
        record.outcome = FetchOutcome::Ok;
        record.repaired = document.repaired;
        record.notes = document.notes.clone();
        record.entries = Some(document.entries.len());
        record.etag = validators.etag;
        record.last_modified = validators.last_modified;
        for note in &document.notes {
            tracing::warn!(feed = %feed.spec.title, url = %feed.spec.shown_url(), note = %note, "Feed document read with a note.");
        }
        let context = feed_context(&feed);
        let repaired = document.repaired;
        let notes = document.notes.clone();
        let failing_after = self.failing_after;
        let rec = record.clone();
        let write = |context: FeedContext, rec: FetchRecord, document: PreparedDocument| {
            self.writer.run_grouped(move |store| {
                store_document(store, &context, &rec, &document, failing_after, Utc::now())
            })
        };
        let counts = match write(context.clone(), rec.clone(), document).await {
            // An entry passed on as unchanged was not, by the time of the write (another
            // process wrote the feed meanwhile): nothing was stored; prepare it in full.
            Err(StoreError::KnownEntryChanged { key, .. }) => {
                tracing::debug!(feed = %feed.spec.title, entry = %key, "An entry changed after its hash was read; storing the document prepared in full.");
                let rules = self.rules.clone();
                let options = ParseOptions {
                    max_entries: self.max_entries,
                    ..parse_options(&feed.spec)
                };
                let body = body.unwrap_or_default();
                let full = {
                    let _slot = self.parse_slots.acquire().await.ok();
                    tokio::task::spawn_blocking(move || {
                        prepare_document(rules.get(), &body, &options)
                    })
                    .await
                    .unwrap_or_else(|join| {
                        Err(ParseError::Invalid(format!(
                            "the parser stopped unexpectedly: {join}"
                        )))
                    })
                };
                match full {
                    Ok(document) => write(context, rec, document).await?,
                    // It parsed a moment ago; should it not now, it fails as any parse.
                    Err(err) => {
                        return self
                            .record_failure(&feed, record, parse_outcome(&err), &err, None)
                            .await
                            .map(Done::report)
                    }
                }
            }
            other => other?,
        };
        let mut report = base_report(
            &feed,
            &record,
            FeedResult::Stored {
                new: counts.new,
                updated: counts.updated,
                unchanged: counts.unchanged,
                events: counts.events,
                repaired,
                notes,
            },
        );
        report.moved_to = counts.url_changed;
        report.work = FeedWork {
            fetch: fetch_time,
            parse: Some(parse_time),
            event_kinds: counts.event_kinds,
        };
        Ok(Done::report(report))
    }

    /// Records a failure held against the feed: fetch-log row, failure count, backoff
    /// (honouring the server's `retry_after`) and, after long enough, `feed_failing`.
    async fn record_failure(
        &self,
        feed: &FeedRow,
        mut record: FetchRecord,
        outcome: FetchOutcome,
        err: &(dyn std::fmt::Display + Sync),
        retry_after: Option<Duration>,
    ) -> Result<FeedReport, StoreError> {
        // Errors are stored, shown and logged: none may quote the feed's credentials.
        let message = redact::message(&err.to_string(), &feed.spec.url).into_owned();
        let next = held_failure(
            feed,
            &mut record,
            outcome,
            &message,
            retry_after,
            &self.fetcher.config().backoff,
            Utc::now(),
            &mut backoff::jitter,
        );
        let written = self.write_fetch(feed, &record).await?;
        tracing::warn!(feed = %feed.spec.title, url = %feed.spec.shown_url(), error = %message, next_attempt = %time_text(next), "Feed failed.");
        let mut report = base_report(
            feed,
            &record,
            FeedResult::Failed {
                outcome,
                error: message,
                counted: true,
            },
        );
        report.work.event_kinds = written.event_kinds;
        Ok(report)
    }
}

impl Pipeline {
    /// Writes a fetch that stored no document (a 304, a failure) through the writer.
    async fn write_fetch(
        &self,
        feed: &FeedRow,
        record: &FetchRecord,
    ) -> Result<RecordedFetch, StoreError> {
        let context = feed_context(feed);
        let failing_after = self.failing_after;
        let record = record.clone();
        self.writer
            .run_grouped(move |s| store_fetch(s, &context, &record, failing_after, Utc::now()))
            .await
    }
}

/// A parsed document made ready for the writer: every entry classified and digested.
#[derive(Debug, Clone)]
pub struct PreparedDocument {
    pub engine: Engine,
    /// The document needed repairs before it parsed.
    pub repaired: bool,
    /// What the parser said about the document (`ParsedFeed::notes`).
    pub notes: Vec<String>,
    pub entries: Vec<StorableEntry>,
    /// What the document says beyond its entries (the source's own report, whether it lists
    /// every open incident).
    pub facts: DocumentFacts,
}

impl PreparedDocument {
    /// A document of already classified entries (`reclassify`, tests, generators).
    pub fn from_classified(
        engine: Engine,
        entries: Vec<ClassifiedEntry>,
    ) -> Result<PreparedDocument, ParseError> {
        Ok(PreparedDocument {
            engine,
            repaired: false,
            notes: Vec::new(),
            entries: digest_all(entries)?,
            facts: DocumentFacts::default(),
        })
    }
}

/// Parse → classify → digests: the CPU half of storing a fetched document, which the cycle
/// runs on its parse workers so the single writer only writes.
pub fn prepare_document(
    rules: &Rules,
    body: &[u8],
    options: &ParseOptions,
) -> Result<PreparedDocument, ParseError> {
    prepare_document_known(rules, body, options, &KnownHashes::new())
}

/// The content hash of each entry a feed holds, by entry key ([`Store::entry_hashes`]).
pub type KnownHashes = std::collections::HashMap<String, String>;

/// [`prepare_document`] for a feed that holds `known` entries: each entry is hashed right
/// after the parse, and one the feed holds with the same hash is passed on as known unchanged,
/// neither classified nor digested (most of a changed feed's entries are its old ones). What
/// the writer stores is the same either way: an unchanged entry's write needs only its key.
pub fn prepare_document_known(
    rules: &Rules,
    body: &[u8],
    options: &ParseOptions,
    known: &KnownHashes,
) -> Result<PreparedDocument, ParseError> {
    let mut parsed = parse_feed(body, options)?;
    let serialize = |e: StoreError| ParseError::Invalid(format!("cannot serialize an entry: {e}"));
    let mut entries = Vec::with_capacity(parsed.entries.len());
    // The rest keep their place in the document: the writer orders by time, stably.
    let mut to_classify = Vec::new();
    for entry in std::mem::take(&mut parsed.entries) {
        if known.is_empty() {
            to_classify.push((entries.len(), entry, None));
            entries.push(None);
            continue;
        }
        let hash = StorableEntry::content_hash(&entry).map_err(serialize)?;
        if known.get(&entry.id) == Some(&hash) {
            entries.push(Some(StorableEntry::known_unchanged(&entry, hash)));
        } else {
            to_classify.push((entries.len(), entry, Some(hash)));
            entries.push(None);
        }
    }
    for (at, entry, hash) in to_classify {
        let classified = classify_entry(rules, parsed.engine, entry);
        let storable = match hash {
            Some(hash) => StorableEntry::with_hash(classified, hash),
            None => StorableEntry::new(classified),
        };
        entries[at] = Some(storable.map_err(serialize)?);
    }
    let reported = (parsed.components.is_some() || parsed.overall.is_some()).then(|| Reported {
        components: parsed.components.unwrap_or_default(),
        overall: parsed.overall,
    });
    Ok(PreparedDocument {
        engine: parsed.engine,
        repaired: parsed.repaired,
        notes: parsed.notes,
        entries: entries.into_iter().flatten().collect(),
        facts: DocumentFacts {
            reported,
            lists_open: parsed.lists_open,
            capped: parsed.capped,
        },
    })
}

fn digest_all(entries: Vec<ClassifiedEntry>) -> Result<Vec<StorableEntry>, ParseError> {
    entries
        .into_iter()
        .map(StorableEntry::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ParseError::Invalid(format!("cannot serialize an entry: {e}")))
}

/// The writer half, and the one way a document is stored: entries, incidents, the fetch log
/// row, the feed's health and its service state with the events they raise, in one
/// transaction; then the engine the document was read with.
pub fn store_document(
    store: &mut Store,
    feed: &FeedContext,
    fetch: &FetchRecord,
    document: &PreparedDocument,
    failing_after: Duration,
    now: DateTime<Utc>,
) -> Result<IngestCounts, StoreError> {
    let counts = store.ingest(
        feed.feed_id,
        fetch,
        &document.entries,
        &document.facts,
        |before| plan_feed_health(feed, before, fetch, failing_after, now),
        |inputs| plan_state(feed, inputs, now),
    )?;
    store.set_detected_engine(feed.feed_id, document.engine)?;
    Ok(counts)
}

/// The one way a fetch that brought no document is stored (a 304, a failure): the log row
/// and the feed's health, with the health event it raises.
pub fn store_fetch(
    store: &mut Store,
    feed: &FeedContext,
    fetch: &FetchRecord,
    failing_after: Duration,
    now: DateTime<Utc>,
) -> Result<RecordedFetch, StoreError> {
    store.record_fetch(feed.feed_id, fetch, |before| {
        plan_feed_health(feed, before, fetch, failing_after, now)
    })
}

/// The state planner for one feed at `now`, for the store's writes that replan a feed's
/// state (`reclassify`, overrides).
pub fn state_planner(
    feed: &FeedContext,
    now: DateTime<Utc>,
) -> impl Fn(&StateInputs) -> StatePlan + '_ {
    move |inputs| plan_state(feed, inputs, now)
}

/// How the parser reads a feed's documents: the engine and selector its catalog entry names.
/// A replayed feed's hint is the address behind its `replay:` URL, if it has one.
pub fn parse_options(spec: &crate::model::FeedSpec) -> ParseOptions {
    let feed_url = match crate::model::FeedSpec::replayed(&spec.url) {
        Some(inner) => inner.contains("://").then(|| inner.to_string()),
        None => Some(spec.url.clone()),
    };
    ParseOptions {
        engine: spec.engine,
        feed_url,
        page: spec
            .selector
            .as_ref()
            .map(|selector| crate::parse::PageWatch {
                selector: selector.clone(),
                expect: spec.expect.clone(),
            }),
        ..ParseOptions::default()
    }
}

/// What a feed's fetch accepts: a watched page (one with a `selector`) is HTML.
pub fn fetch_accept(spec: &crate::model::FeedSpec) -> crate::fetch::Accept {
    if spec.selector.is_some() {
        crate::fetch::Accept::Html
    } else {
        crate::fetch::Accept::Feed
    }
}

/// How events name a stored feed.
pub fn feed_context(feed: &FeedRow) -> FeedContext {
    FeedContext {
        feed_id: feed.id,
        vendor: feed.spec.vendor.clone(),
        title: feed.spec.title.clone(),
        url: feed.spec.url.clone(),
        category: feed.spec.category.clone(),
    }
}

impl FeedReport {
    /// The report of a feed removed while it was being fetched: nothing about it was kept.
    pub fn removed(feed_id: i64, title: String, url: String) -> FeedReport {
        FeedReport {
            feed_id,
            title,
            url,
            http_status: None,
            bytes: None,
            duration_ms: 0,
            entries: None,
            next_fetch_at: None,
            moved_to: None,
            proxy: None,
            result: FeedResult::Removed,
            work: FeedWork::default(),
        }
    }
}

/// A feed's store write that failed because the feed is gone (removed by another process
/// while it was fetched) is a `Removed` report, not a database failure of the cycle.
fn removed_as_report(
    done: Result<Done, StoreError>,
    id: i64,
    title: String,
    url: String,
) -> Result<Done, StoreError> {
    match done {
        Err(StoreError::NoSuchFeed(which)) if which == id.to_string() => {
            tracing::info!(feed = %title, "Feed removed while it was being fetched; nothing stored.");
            Ok(Done::report(FeedReport::removed(id, title, url)))
        }
        other => other,
    }
}

fn base_report(feed: &FeedRow, record: &FetchRecord, result: FeedResult) -> FeedReport {
    FeedReport {
        feed_id: feed.id,
        title: feed.spec.title.clone(),
        url: feed.spec.shown_url().into_owned(),
        http_status: record.http_status,
        bytes: record.bytes,
        duration_ms: record.duration_ms,
        entries: record.entries,
        next_fetch_at: record.next_fetch_at.map(time_text),
        moved_to: None,
        proxy: None,
        result,
        // The record's duration is the fetch's until a parsed document's replaces it.
        work: FeedWork {
            fetch: Duration::from_millis(u64::try_from(record.duration_ms).unwrap_or(0)),
            ..FeedWork::default()
        },
    }
}

/// A failure held against `feed`, written into its fetch record at `now`: the outcome and
/// error, since when the server says "gone", and the next attempt by `policy` (honouring the
/// server's `retry_after`), which is returned. The one rule for live fetches and replays.
#[allow(clippy::too_many_arguments)]
pub fn held_failure(
    feed: &FeedRow,
    record: &mut FetchRecord,
    outcome: FetchOutcome,
    message: &str,
    retry_after: Option<Duration>,
    policy: &backoff::BackoffPolicy,
    now: DateTime<Utc>,
    jitter: &mut dyn FnMut() -> f64,
) -> DateTime<Utc> {
    record.gone_since = backoff::gone_since(
        feed.gone_since.as_deref().and_then(parse_time_text),
        record.http_status,
        record.started_at,
    );
    let failure = Failure {
        consecutive: u32::try_from(feed.consecutive_failures.max(0))
            .unwrap_or(u32::MAX)
            .saturating_add(1),
        // Backoff waits longer only while the server says "gone", not while it is unreached.
        gone_since: record
            .gone_since
            .filter(|_| matches!(record.http_status, Some(404 | 410))),
        retry_after,
    };
    let next = backoff::next_attempt(policy, &failure, now, jitter);
    record.outcome = outcome;
    record.error = Some(message.to_string());
    record.next_fetch_at = Some(next);
    next
}

/// The fetch-log word for a document that did not parse.
pub fn parse_outcome(err: &ParseError) -> FetchOutcome {
    match err {
        ParseError::Empty => FetchOutcome::Empty,
        ParseError::NotAFeed(_) => FetchOutcome::NotAFeed,
        _ => FetchOutcome::ParseError,
    }
}

/// Classifies every entry of a parsed feed, with the worst status each one reached. The
/// entries move into the result (the returned `ParsedFeed` keeps the rest, with no entries),
/// so a feed's text is held once, not twice.
pub fn classify_all(rules: &Rules, mut parsed: ParsedFeed) -> (ParsedFeed, Vec<ClassifiedEntry>) {
    let entries = std::mem::take(&mut parsed.entries);
    // A watched page's state needs no `overall` of its own: its one text's verdict opens (or
    // not) the incident that sets it, so `reclassify` under new rules moves both together.
    let classified = classify_entries(rules, parsed.engine, entries);
    (parsed, classified)
}

/// Classifies entries read by `engine`, each with the worst status its timeline reached.
pub fn classify_entries(
    rules: &Rules,
    engine: Engine,
    entries: Vec<crate::model::Entry>,
) -> Vec<ClassifiedEntry> {
    entries
        .into_iter()
        .map(|entry| classify_entry(rules, engine, entry))
        .collect()
}

/// Classifies one entry read by `engine`, with the worst status its timeline reached.
fn classify_entry(rules: &Rules, engine: Engine, entry: crate::model::Entry) -> ClassifiedEntry {
    let (class, worst) = rules.classify_with_worst(engine, &entry);
    ClassifiedEntry {
        entry,
        class,
        worst,
    }
}

/// The correlate stage at `now`, in one write: every vendor's departures and the open
/// clusters are read, the clusters planned, and their rows and `correlated_outage` events
/// written together. Returns the events raised. Runs after every cycle (and after every
/// capture of a replay), so a cluster opens within one cycle of the member that makes it.
pub fn correlate(
    store: &mut Store,
    settings: &crate::correlate::CorrelationSettings,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !settings.enabled {
        return Ok(0);
    }
    store.correlate(settings, now, |inputs| {
        crate::correlate::plan_correlation(inputs, settings, now)
    })
}
